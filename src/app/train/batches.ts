// From CPU batches (src/app/data) to the GPU tensors the models take (src/app/models/types.ts).
//
// Uploads are lazy: a view's tensors are created the first time a model reads them, inside whatever tidy() scope is
// active then (the training step's), so a model that never looks at the complete input (the late-fusion baseline)
// costs no upload for it, and everything uploaded is freed with the step.

import { tensor } from '../../engine/creation';
import type { Tensor } from '../../engine/tensor';
import type { Batch } from '../data/types';
import type { MissingBatch } from '../data/missing';
import type { ModalityInputs, TrainingBatch } from '../models/types';

/** The three modalities of a CPU batch as tensors (B, T, d), created on first access. */
export function lazyInputs(b: Batch | MissingBatch): ModalityInputs {
  const { dims, size: B } = b;
  type Field = Exclude<keyof ModalityInputs, 'textBert'>;
  const cache: Partial<Record<Field, Tensor>> = {};
  const dropped = 'textDropped' in b ? b.textDropped : null;
  const make = {
    text: () => tensor(b.text, [B, dims.text.len, dims.text.dim]),
    audio: () => tensor(b.audio, [B, dims.audio.len, dims.audio.dim]),
    vision: () => tensor(b.vision, [B, dims.vision.len, dims.vision.dim]),
    textDropped: () => tensor(dropped!, [B, dims.text.len]),
  };
  const get = (k: Field) => {
    const t = cache[k];
    if (t && !t.disposed) return t;
    return (cache[k] = make[k]());
  };
  const out = {
    get text() {
      return get('text');
    },
    get audio() {
      return get('audio');
    },
    get vision() {
      return get('vision');
    },
  } as ModalityInputs;
  if (dropped) Object.defineProperty(out, 'textDropped', { get: () => get('textDropped'), enumerable: true });
  if (b.textBert) out.textBert = b.textBert; // token ids stay on the CPU: BERT's embedding lookup reads them there
  return out;
}

/** A training batch: the complete view, the corrupted view and the labels (B, 1), all uploaded on first use. */
export function lazyTrainingBatch(complete: Batch, corrupted: MissingBatch): TrainingBatch {
  let labels: Tensor | null = null;
  const c = lazyInputs(complete);
  const m = lazyInputs(corrupted);
  return {
    complete: c,
    corrupted: m,
    get labels() {
      if (!labels || labels.disposed) labels = tensor(complete.labels, [complete.size, 1]);
      return labels;
    },
  };
}
