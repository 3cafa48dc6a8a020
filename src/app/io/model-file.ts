// The model file: what an app embeds. Weights and the model's config, no optimizer state, so it is a third of a
// training checkpoint (AdamW keeps two moments per weight). loadModel (src/app/models/registry.ts) reads it as it
// reads a checkpoint: both name the model kind and config in their meta.
//
//   webgrad.format  "webgrad-model/1"
//   webgrad.meta    JSON { format, model: kind, modelConfig, ...what the caller adds (seed, epoch, dataset) }
//
// exportModel() writes one from a live model; modelFileFromCheckpoint() derives the same file from a training
// checkpoint's bytes (npm start does that in Node for each best checkpoint it has accepted, so the model file adds no
// upload route to its server and cannot disagree with best-seed<seed>.safetensors).

import {
  CheckpointError,
  entryToFloat32,
  parseSafetensors,
  writeSafetensors,
  type F32Tensor,
} from '../../engine/io/safetensors';
import type { Tensor } from '../../engine/tensor';
import { isOptimizerKey } from './checkpoint-keys';

export const MODEL_FORMAT = 'webgrad-model/1';

/** A model that can be rebuilt from its file: its kind, JSON config and named parameters. */
export interface ExportableModel {
  readonly kind: string;
  readonly config: unknown;
  namedParameters(): [string, Tensor][];
}

function modelBytes(tensors: [string, F32Tensor][], meta: Record<string, unknown>): Uint8Array {
  const full = { ...meta, format: MODEL_FORMAT };
  return writeSafetensors(tensors, { 'webgrad.format': MODEL_FORMAT, 'webgrad.meta': JSON.stringify(full) });
}

/**
 * Safetensors bytes holding `model`'s weights and config only (no optimizer state); `info` (seed, epoch, ...) goes
 * into the meta beside the kind and config. Reads every weight back from the GPU, so it waits for pending work.
 */
export async function exportModel(model: ExportableModel, info: Record<string, unknown> = {}): Promise<Uint8Array> {
  const tensors: [string, F32Tensor][] = [];
  for (const [name, p] of model.namedParameters()) tensors.push([name, { shape: p.shape, data: await p.toArray() }]);
  return modelBytes(tensors, { ...info, model: model.kind, modelConfig: model.config });
}

/**
 * The model file of a training checkpoint: its parameters (optimizer state dropped) and its meta with the format
 * replaced (the rest says what the model is and where it came from: kind, config, choices, seed, epoch, dataset).
 */
export function modelFileFromCheckpoint(checkpoint: Uint8Array): Uint8Array {
  const file = parseSafetensors(checkpoint);
  let meta: Record<string, unknown>;
  try {
    meta = JSON.parse(file.metadata['webgrad.meta'] ?? 'null');
  } catch {
    meta = {};
  }
  if (!meta || typeof meta.model !== 'string' || meta.modelConfig === undefined) {
    throw new CheckpointError(
      'mismatch',
      'the checkpoint does not say which model it holds (meta.model and meta.modelConfig)',
      undefined,
      'modelFile',
    );
  }
  const tensors: [string, F32Tensor][] = [];
  for (const [name, e] of file.tensors)
    if (!isOptimizerKey(name)) tensors.push([name, { shape: e.shape, data: entryToFloat32(e, name) }]);
  return modelBytes(tensors, meta);
}
