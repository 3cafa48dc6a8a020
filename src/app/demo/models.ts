// The models the demo page can train, as a list: each entry says how to build the model for a dataset's dims, which
// options the form shows for it, and its training defaults, all read from the model catalog (src/app/models/catalog.ts):
// a model added there appears here by adding its name to DEMO_MODELS.

import { DAR_ABLATIONS } from '../models/dar/config';
import { findModelSpec, modelSpec, type ModelSpec, type RunChoices } from '../models/catalog';
import { buildModel } from '../models/build';
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
  /** The model's name (catalog.ts): `model.kind` of the instances, stored in the checkpoints the page writes. */
  id: string;
  label: string;
  options: readonly ModelOption[];
  defaults: { lr: number; epochs: number; batchSize: number };
  create(dims: DatasetDims, seed: number, options: Record<string, string>): SentimentModel;
  /** A short label for tables: "DAR (small)". */
  describe(options: Record<string, string>): string;
}

/** The form's control of each run choice a model may take. */
const CHOICE_OPTIONS: Record<keyof RunChoices, Omit<ModelOption, 'key'>> = {
  preset: { label: 'size', choices: ['small', 'paper'], default: 'small' },
  ablation: { label: 'ablation', choices: DAR_ABLATIONS, default: 'full' },
  textUnk: { label: 'dropped text', choices: ['zero', 'learned'], default: 'zero' },
  textEncoder: { label: 'text encoder', choices: ['features', 'bert', 'bert-frozen'], default: 'features' },
};

/** The form's choices with the defaults of those it does not show. */
function runChoices(o: Record<string, string>): RunChoices {
  const pick = (k: keyof RunChoices) => o[k] ?? CHOICE_OPTIONS[k].default;
  const c = { preset: pick('preset'), ablation: pick('ablation'), textUnk: pick('textUnk') };
  return { ...c, textEncoder: pick('textEncoder') } as RunChoices;
}

/** The demo's entry of a catalog model. */
function demoModel(spec: ModelSpec): DemoModel {
  return {
    id: spec.name,
    label: spec.title,
    options: spec.takes.map((key) => ({ key, ...CHOICE_OPTIONS[key] })),
    defaults: { lr: spec.lr('small'), epochs: spec.epochs('small'), batchSize: 32 },
    create: (dims, seed, o) => buildModel(spec.name, dims, seed, runChoices(o)),
    describe: (o) => spec.label(runChoices(o)),
  };
}

/** Every model the page offers, in the order of its menu. */
export const DEMO_MODELS: DemoModel[] = (['dar', 'derl', 'latefusion'] as const).map((name) =>
  demoModel(modelSpec(name)),
);

/** The entry of a checkpoint's meta.model (old spellings included, see LEGACY_KINDS). */
export function findModel(kind: string): DemoModel | undefined {
  const spec = findModelSpec(kind);
  return DEMO_MODELS.find((m) => m.id === spec?.name);
}

/** The option values with defaults filled in and unknown values rejected. */
export function resolveOptions(m: DemoModel, given: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const o of m.options) {
    const v = given[o.key];
    if (v === undefined || v === null) out[o.key] = o.default;
    else if (typeof v === 'string' && o.choices.includes(v)) out[o.key] = v;
    else
      throw new Error(`${m.label}: option ${o.key} must be one of ${o.choices.join(', ')}, got ${JSON.stringify(v)}`);
  }
  return out;
}
