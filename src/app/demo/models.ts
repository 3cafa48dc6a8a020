// The models the demo page can train, as a list: each entry says how to build the model for a dataset's dims, which
// options the form shows for it, and its training defaults. DAR, DERL and the late-fusion baseline are here; any other
// SentimentModel plugs in by adding one entry to DEMO_MODELS.

import { DAR, DAR_ABLATIONS, darConfig, type DarAblationName, type DarPreset } from '../models/dar/index';
import { LateFusion } from '../models/latefusion';
import { DERL, derlConfig, type DerlPreset } from '../models/derl/index';
import type { DatasetDims } from '../data/types';
import type { SentimentModel } from '../models/types';

/** A choice the form shows for a model (a <select>). */
export interface ModelOption {
  key: string;
  label: string;
  choices: readonly string[];
  default: string;
}

export interface DemoModel {
  /** Stable id, stored in the checkpoints the page writes. */
  id: string;
  label: string;
  /** `model.kind` of the instances (how trainer checkpoints name the model). */
  kind: string;
  options: readonly ModelOption[];
  defaults: { lr: number; epochs: number; batchSize: number };
  create(dims: DatasetDims, seed: number, options: Record<string, string>): SentimentModel;
  /** A short label for tables: "DAR (small)". */
  describe(options: Record<string, string>): string;
}

const dar: DemoModel = {
  id: 'dar',
  label: 'DAR',
  kind: 'DAR',
  options: [
    { key: 'preset', label: 'size', choices: ['small', 'paper'], default: 'small' },
    { key: 'ablation', label: 'ablation', choices: DAR_ABLATIONS, default: 'full' },
    { key: 'textUnk', label: 'dropped text', choices: ['zero', 'learned'], default: 'zero' },
  ],
  defaults: { lr: 2e-3, epochs: 4, batchSize: 32 },
  create: (dims, seed, o) =>
    new DAR(darConfig((o.preset ?? 'small') as DarPreset, dims, {
      seed, ablation: (o.ablation ?? 'full') as DarAblationName, textUnk: (o.textUnk ?? 'zero') as 'zero' | 'learned',
    })),
  describe: (o) => `DAR (${o.preset ?? 'small'}${o.ablation && o.ablation !== 'full' ? `, ${o.ablation}` : ''})`,
};

const derl: DemoModel = {
  id: 'derl',
  label: 'DERL',
  kind: 'derl',
  options: [
    { key: 'preset', label: 'size', choices: ['small', 'paper'], default: 'small' },
    { key: 'textUnk', label: 'dropped text', choices: ['zero', 'learned'], default: 'zero' },
  ],
  // DERL's routers and fusion leave the predict-the-mean plateau only after ~4 epochs (npm start uses 8).
  defaults: { lr: 2e-3, epochs: 8, batchSize: 32 },
  create: (dims, seed, o) =>
    new DERL(derlConfig((o.preset ?? 'small') as DerlPreset, dims, { seed, textUnk: (o.textUnk ?? 'zero') as 'zero' | 'learned' })),
  describe: (o) => `DERL (${o.preset ?? 'small'})`,
};

const lateFusion: DemoModel = {
  id: 'latefusion',
  label: 'late fusion (baseline)',
  kind: 'latefusion',
  options: [],
  defaults: { lr: 2e-3, epochs: 4, batchSize: 32 },
  create: (dims, seed) => new LateFusion({ dims, seed }),
  describe: () => 'late fusion',
};

/** Every model the page offers, in the order of its menu. */
export const DEMO_MODELS: DemoModel[] = [dar, derl, lateFusion];

export function findModel(idOrKind: string): DemoModel | undefined {
  return DEMO_MODELS.find((m) => m.id === idOrKind || m.kind === idOrKind);
}

/** The option values with defaults filled in and unknown values rejected. */
export function resolveOptions(m: DemoModel, given: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const o of m.options) {
    const v = given[o.key];
    if (v === undefined || v === null) out[o.key] = o.default;
    else if (typeof v === 'string' && o.choices.includes(v)) out[o.key] = v;
    else throw new Error(`${m.label}: option ${o.key} must be one of ${o.choices.join(', ')}, got ${JSON.stringify(v)}`);
  }
  return out;
}
