// Models by kind, so a checkpoint alone is enough to rebuild a trained model: the piece an app embeds.
//
// Every trainer checkpoint's meta names the model (`model`, its `kind`) and holds its `config` (`modelConfig`: the
// sizes, the ablation switches and the (T, d) of each modality). loadModel builds that model and loads the weights
// into it; optimizer state in the file is ignored. A new model type registers a builder once (registerModel).

import { parseSafetensors, CheckpointError, type SafetensorsFile } from '../../engine/io/safetensors';
import { WebgradError } from '../../engine/errors';
import { PARAMETER_SHAPES } from './shapes';
import { canonicalKind } from './catalog';
import { isOptimizerKey, loadCheckpoint } from '../io/checkpoint';
import { DAR } from './dar/model';
import type { DarConfig } from './dar/config';
import { LateFusion, type LateFusionConfig } from './latefusion';
import { DERL } from './derl/model';
import type { DerlConfig } from './derl/config';
import type { SentimentModel } from './types';

/** Builds a fresh (randomly initialised) model from its JSON config. */
export type ModelBuilder = (config: never) => SentimentModel;

const BUILTIN = new Map<string, (config: unknown) => SentimentModel>([
  ['dar', (c) => new DAR(c as DarConfig)],
  ['latefusion', (c) => new LateFusion(c as LateFusionConfig)],
  ['derl', (c) => new DERL(c as DerlConfig)],
]);
const BUILDERS = new Map(BUILTIN);

/** Makes `kind` loadable by createModel / loadModel. Replaces an earlier builder of the same kind. */
export function registerModel<C>(kind: string, build: (config: C) => SentimentModel): void {
  BUILDERS.set(kind, build as (config: unknown) => SentimentModel);
}

/** The kinds loadModel can rebuild. */
export function modelKinds(): string[] {
  return [...BUILDERS.keys()];
}

/**
 * Config fields added after checkpoints of a kind were already being written, each with the value that describes the
 * model such a checkpoint holds (what the code did before the field existed), so every saved model stays loadable:
 *   dar   alignNorm (no LayerNorm in the alignment before it), selection (model selection compared L_total),
 *         simSpecReduction (L_sim^spec averaged over the modalities), simPool (L_sim compared time means),
 *         alignInit (the alignment's mix over time started from torch's default), posInit (N(0, 1) positions)
 *   derl  orthGradient (L_orth's gradient reached the embedding)
 */
const ADDED_FIELDS: Record<string, Record<string, unknown>> = {
  dar: {
    alignNorm: false,
    selection: 'total',
    simSpecReduction: 'mean',
    simPool: 'mean',
    alignInit: 'kaiming',
    posInit: 'randn',
  },
  derl: { orthGradient: 'full' },
};

/** `config` with the fields it predates filled in (see ADDED_FIELDS); a field present in `config` is kept. */
export function upgradeConfig(kind: string, config: unknown): unknown {
  const added = ADDED_FIELDS[canonicalKind(kind)];
  return added && config !== null && typeof config === 'object' ? { ...added, ...config } : config;
}

/** A new model of the given kind from its config (as found in `model.config`, or in an older checkpoint). */
export function createModel(kind: string, config: unknown): SentimentModel {
  const build = BUILDERS.get(canonicalKind(kind));
  if (!build) {
    throw new CheckpointError(
      'mismatch',
      `unknown model kind "${kind}" (known: ${modelKinds().join(', ')})`,
      undefined,
      'createModel',
    );
  }
  return build(upgradeConfig(kind, config));
}

export interface LoadedModel {
  model: SentimentModel;
  /** The checkpoint's meta (for a trainer checkpoint: epoch, validation loss, options, dataset, ...). */
  meta: Record<string, unknown>;
}

/**
 * Rebuilds the model a checkpoint was saved from and loads its weights. The bytes are a safetensors file written by
 * the trainer (npm start's best-seed<seed>.safetensors) or by saveCheckpoint with `{model: kind, modelConfig: config}`
 * in its meta. Throws CheckpointError when the file has no model description or its weights do not fit, or hold
 * NaN / ±Infinity (unless `allowNonFinite`).
 */
export function loadModel(bytes: Uint8Array | ArrayBuffer, opts: { allowNonFinite?: boolean } = {}): LoadedModel {
  const file = parseSafetensors(bytes);
  const raw = file.metadata['webgrad.meta'];
  let meta: Record<string, unknown>;
  try {
    meta = raw === undefined ? {} : (JSON.parse(raw) as Record<string, unknown>);
  } catch {
    throw new CheckpointError('header', 'metadata "webgrad.meta" is not valid JSON', undefined, 'loadModel');
  }
  const saved = meta.model;
  const config = meta.modelConfig;
  if (typeof saved !== 'string' || config === null || typeof config !== 'object') {
    throw new CheckpointError(
      'mismatch',
      'the checkpoint does not say which model it holds (meta.model and meta.modelConfig); build the model yourself and use loadCheckpoint',
      undefined,
      'loadModel',
    );
  }
  const kind = canonicalKind(saved); // a checkpoint of before the names were unified says 'DAR'
  checkShapes(kind, upgradeConfig(kind, config), file);
  let model: SentimentModel;
  try {
    model = createModel(kind, config);
  } catch (e) {
    // The sizes fit the file, but another field is invalid (the model's own validation, before any allocation).
    if (e instanceof CheckpointError || !(e instanceof WebgradError || e instanceof TypeError)) throw e;
    throw new CheckpointError(
      'mismatch',
      `meta.modelConfig is not a valid ${kind} config: ${e.message}`,
      undefined,
      'loadModel',
    );
  }
  try {
    // Non-strict only so that the optimizer state in a training checkpoint is skipped; every parameter must still fit.
    const r = loadCheckpoint(bytes, model, null, { strict: false, allowNonFinite: opts.allowNonFinite });
    const extra = r.unexpected.filter((n) => !isOptimizerKey(n));
    if (r.missing.length || extra.length) {
      const problems = [
        ...r.missing.map((n) => `missing from the file: "${n}"`),
        ...extra.map((n) => `unexpected in the file: "${n}"`),
      ];
      throw new CheckpointError(
        'mismatch',
        `the weights do not fit ${kind}: ${problems.join('; ')}`,
        problems,
        'loadModel',
      );
    }
  } catch (e) {
    model.dispose();
    throw e;
  }
  return { model, meta };
}

/**
 * Compares the parameter names and shapes that `config` implies with the file's header, before anything is built:
 * CheckpointError naming the config field or the tensors that disagree. Kinds without a shape function are skipped.
 */
function checkShapes(kind: string, config: unknown, file: SafetensorsFile): void {
  const shapesOf = PARAMETER_SHAPES.get(kind);
  if (!shapesOf || BUILDERS.get(kind) !== BUILTIN.get(kind)) return;
  const want = shapesOf(config);
  const problems: string[] = [];
  for (const [name, shape] of want) {
    const e = file.tensors.get(name);
    if (!e) problems.push(`missing from the file: "${name}"`);
    else if (e.shape.length !== shape.length || e.shape.some((n, i) => n !== shape[i])) {
      problems.push(
        `shape mismatch for "${name}": file has [${e.shape.join(', ')}], the config implies [${shape.join(', ')}]`,
      );
    }
  }
  for (const name of file.tensors.keys())
    if (!isOptimizerKey(name) && !want.has(name)) problems.push(`unexpected in the file: "${name}"`);
  if (problems.length) {
    throw new CheckpointError(
      'mismatch',
      `the weights do not fit the ${kind} that meta.modelConfig describes: ${problems.slice(0, 8).join('; ')}` +
        `${problems.length > 8 ? `; and ${problems.length - 8} more` : ''}`,
      problems,
      'loadModel',
    );
  }
}
