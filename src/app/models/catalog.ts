// The models a driver can train (npm start's --model, the demo's menu), each described once: its name (on the command
// line, as `model.kind`, in checkpoints), the run choices it takes, its training defaults and its label in tables. Pure data,
// so Node's CLI reads it without loading any GPU code; ./build.ts makes the models in the page. Adding a model here is
// one entry (and one builder in ./build.ts, which the type checker asks for).

import type { DarAblationName } from './dar/config';

export type ModelName = 'dar' | 'derl' | 'latefusion';

/** The choices of a run that shape the model (each model takes some of them; see ModelSpec.takes). */
export interface RunChoices {
  preset: 'small' | 'paper';
  ablation: DarAblationName;
  textUnk: 'zero' | 'learned';
  /** DAR/DERL's text branch (models/text-encoder.ts): precomputed features, or BERT on token ids (fine-tuned/frozen). */
  textEncoder: 'features' | 'bert' | 'bert-frozen';
}

/** What a driver needs to know of a model. */
export interface ModelSpec {
  /** Its one name: npm start's --model, `model.kind` of its instances, checkpoints' meta.model. */
  name: ModelName;
  /** Its name in the demo's menu. */
  title: string;
  /** The run choices it takes, in checkpoint-meta order; the others must stay at their defaults. */
  takes: readonly (keyof RunChoices)[];
  /** npm start's default epochs per seed and peak learning rate, by preset. */
  epochs(preset: RunChoices['preset']): number;
  lr(preset: RunChoices['preset']): number;
  /** Its label in the tables: "DAR (small)". */
  label(c: RunChoices): string;
  /** What model selection compares, when it is not the plain validation L_total (printed with the plan). */
  selection?: string;
}

/**
 * Epochs per seed of the default `npm start`: small DAR on all 1284 synthetic-mosi training samples, 3 seeds and the
 * evaluation at 10 rates take about 5 minutes on 2 idle CPU cores (SwiftShader), under the 10-minute budget with room
 * for a busy machine. Model selection picks epoch 3 or 4: DAR overfits this training set after that (a 6-epoch run
 * still selected epoch 3 on seed 1111).
 */
export const DEFAULT_EPOCHS = 4;

/** DERL's default epochs: its routers and fusion leave the predict-the-mean plateau only after ~4 epochs. */
export const DERL_EPOCHS = 8;

const PAPER_EPOCHS = 200;
const lrOf = (preset: RunChoices['preset']) => (preset === 'paper' ? 1e-4 : 2e-3);
const unk = (c: RunChoices) =>
  (c.textUnk !== 'zero' ? ', learned [UNK]' : '') +
  (c.textEncoder === 'bert' ? ', BERT' : c.textEncoder === 'bert-frozen' ? ', frozen BERT' : '');

/** In npm start's order (its --model error message lists them so). */
export const MODELS: readonly ModelSpec[] = [
  {
    name: 'dar',
    title: 'DAR',
    takes: ['preset', 'ablation', 'textUnk', 'textEncoder'],
    epochs: (p) => (p === 'paper' ? PAPER_EPOCHS : DEFAULT_EPOCHS),
    lr: lrOf,
    label: (c) => `DAR (${c.preset}${c.ablation !== 'full' ? `, ${c.ablation}` : ''}${unk(c)})`,
    selection: 'without its CLUB term',
  },
  {
    name: 'latefusion',
    title: 'late fusion (baseline)',
    takes: [],
    epochs: () => DEFAULT_EPOCHS,
    lr: () => lrOf('small'),
    label: () => 'late fusion',
  },
  {
    name: 'derl',
    title: 'DERL',
    takes: ['preset', 'textUnk', 'textEncoder'],
    epochs: (p) => (p === 'paper' ? PAPER_EPOCHS : DERL_EPOCHS),
    lr: lrOf,
    label: (c) => `DERL (${c.preset}${unk(c)})`,
  },
];

export const MODEL_NAMES = MODELS.map((m) => m.name);

/**
 * Kinds that checkpoints written before the names were unified carry, and the name they mean now: the trainer saved
 * DAR as 'DAR' while the CLI and the demo called it 'dar'. Reading them keeps every saved model loadable.
 */
export const LEGACY_KINDS: Readonly<Record<string, ModelName>> = { DAR: 'dar' };

/** The current name of a model kind read from a checkpoint (old spellings mapped, anything else as it is). */
export function canonicalKind(kind: string): string {
  return Object.hasOwn(LEGACY_KINDS, kind) ? LEGACY_KINDS[kind] : kind;
}

/** The entry of `name` (a CLI name or a checkpoint kind, old spellings included), or undefined. */
export function findModelSpec(name: string): ModelSpec | undefined {
  const current = canonicalKind(name);
  return MODELS.find((m) => m.name === current);
}

/** The entry of a known name. */
export function modelSpec(name: ModelName): ModelSpec {
  return findModelSpec(name)!;
}

/** The choices the model takes, in its order (what its checkpoints record in their meta). */
export function takenChoices(spec: ModelSpec, c: RunChoices): Partial<RunChoices> {
  return Object.fromEntries(spec.takes.map((k) => [k, c[k]]));
}
