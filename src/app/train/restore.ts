// Rebuilding a model from one of the trainer's checkpoints, for runs the user stopped (the demo's Stop, Ctrl-C in
// `npm start`): the trainer frees its model when a hook throws, and the best epoch lives on in its 'best' checkpoint.

import { loadCheckpoint } from '../io/checkpoint';
import type { SentimentModel } from '../models/types';
import { checkpointMeta, type TrainCheckpointMeta } from './trainer';

export interface RestoredModel {
  /** In eval mode; the caller disposes it. */
  model: SentimentModel;
  /** The epoch the checkpoint was written after, and its validation loss. */
  epoch: number;
  validLoss: number;
}

/** A fresh `factory(seed)` model with the checkpoint's weights (its optimizer state is left out). */
export function restoreCheckpoint(
  factory: (seed: number) => SentimentModel,
  seed: number,
  bytes: Uint8Array,
): RestoredModel {
  const model = factory(seed);
  try {
    loadCheckpoint(bytes, model, null, { strict: false });
  } catch (e) {
    model.dispose();
    throw e;
  }
  model.eval();
  const m = checkpointMeta(bytes) as Partial<TrainCheckpointMeta>;
  return { model, epoch: m.epoch ?? 0, validLoss: m.validLoss ?? NaN };
}
