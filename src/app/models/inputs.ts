// Input validation shared by the sentiment models: one view of the three modalities, and a training batch, checked
// against the model's dims before any GPU work (a WebgradError names the model and the shapes).

import { check, type Shape } from '../../engine/errors';
import { Tensor } from '../../engine/tensor';
import type { DatasetDims } from '../data/types';
import type { ModalityInputs, TrainingBatch } from './types';

/**
 * Validates one view (text, audio, vision, optional textDropped) against `dims`; returns the batch size. With
 * `textIds` (a model whose text encoder is BERT) the view's text is `textBert` (B, 3, T_l) and `text` is not read.
 */
export function checkModalityInputs(
  op: string,
  dims: DatasetDims,
  x: ModalityInputs,
  what: string,
  textIds = false,
): number {
  check(x !== null && typeof x === 'object', op, `${what} must be an object { text, audio, vision }`);
  const fields = textIds ? (['audio', 'vision'] as const) : (['text', 'audio', 'vision'] as const);
  for (const f of fields) check(x[f] instanceof Tensor, op, `${what}.${f} must be a Tensor`);
  const shapes: Shape[] = fields.map((f) => x[f].shape);
  for (const f of fields) {
    check(!x[f].disposed, op, `${what}.${f} was disposed`, shapes);
    const { len, dim } = dims[f];
    check(x[f].rank === 3, op, `${what}.${f} must be (B, ${len}, ${dim}), got rank ${x[f].rank}`, shapes);
    check(
      x[f].shape[1] === len && x[f].shape[2] === dim,
      op,
      `${what}.${f} must be (B, ${len}, ${dim}) for this config`,
      shapes,
    );
  }
  const B = x.audio.shape[0];
  check(B > 0, op, `${what} has an empty batch`, shapes);
  check(
    fields.every((f) => x[f].shape[0] === B),
    op,
    `${what}: text, audio and vision have different batch sizes`,
    shapes,
  );
  if (textIds) {
    const n = B * 3 * dims.text.len;
    check(
      x.textBert instanceof Int32Array && x.textBert.length === n,
      op,
      `${what}.textBert must be an Int32Array (B, 3, T_l) = (${B}, 3, ${dims.text.len}) of token ids, mask and segments (a BERT text encoder reads it), got ${x.textBert ? `${x.textBert.length} values` : 'none'}`,
      shapes,
    );
  }
  if (x.textDropped !== undefined && x.textDropped !== null) {
    check(
      x.textDropped instanceof Tensor && !x.textDropped.disposed,
      op,
      `${what}.textDropped must be a live Tensor`,
      shapes,
    );
    const T = dims.text.len;
    check(
      x.textDropped.rank === 2 && x.textDropped.shape[0] === B && x.textDropped.shape[1] === T,
      op,
      `${what}.textDropped must be (B, T_l) = (${B}, ${T})`,
      [...shapes, x.textDropped.shape],
    );
  }
  return B;
}

/**
 * Validates a training batch: the corrupted view, labels (B, 1), and the complete view when the model reads it
 * (`needsComplete`); returns the batch size.
 */
export function checkTrainingBatch(
  op: string,
  dims: DatasetDims,
  batch: TrainingBatch,
  needsComplete: boolean,
  textIds = false,
): number {
  check(batch !== null && typeof batch === 'object', op, 'batch must be { complete, corrupted, labels }');
  const B = checkModalityInputs(op, dims, batch.corrupted, 'corrupted', textIds);
  check(batch.labels instanceof Tensor && !batch.labels.disposed, op, 'labels must be a live Tensor');
  check(
    batch.labels.rank === 2 && batch.labels.shape[0] === B && batch.labels.shape[1] === 1,
    op,
    `labels must be (B, 1) = (${B}, 1)`,
    [batch.corrupted.audio.shape, batch.labels.shape],
  );
  if (needsComplete) {
    const Bc = checkModalityInputs(op, dims, batch.complete, 'complete', textIds);
    check(Bc === B, op, `complete and corrupted inputs have different batch sizes (${Bc} and ${B})`, [
      batch.complete.audio.shape,
      batch.corrupted.audio.shape,
    ]);
  }
  return B;
}
