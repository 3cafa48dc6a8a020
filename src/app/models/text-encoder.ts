// The text branch DAR and DERL share (docs/models.md §2.5): what turns a view's text into the (B, T_l, d) sequence the
// alignment layer reads.
//   'features': the precomputed `text` features (MMSA's (N, 50, 768) BERT output of the COMPLETE sentence), dropped
//               tokens zeroed — kept tokens still carry the whole sentence's context (a leak; README "Fidelity").
//   'bert':     LNLN's and DAR's own path: BERT (src/engine/nn/bert.ts) runs on the token ids `textBert` (B, 3, T_l)
//               of each view — the corrupted ids (dropped → [UNK]) and the complete ids — every step, fine-tuned
//               with the rest of the model (LNLN: one AdamW group, lr 1e-4 in `paper`) or frozen.
// The BERT's parameters sit under `bert.` in the model's names, so checkpoints hold them like any other weight.

import { Bert } from '../../engine/nn/bert';
import { concat } from '../../engine/ops/shape';
import { noGrad, tidy, type Tensor } from '../../engine/tensor';
import type { TextEncoderConfig } from './text-encoder-config';
import type { ModalityInputs } from './types';

export * from './text-encoder-config';

/** The model's BERT for a 'bert' config (its sizes checked by Bert itself), else null. */
export function makeTextBert(c: TextEncoderConfig, seed: number | undefined): Bert | null {
  return c.kind === 'bert' ? new Bert({ ...c.bert!, seed }) : null;
}

/**
 * BERT's last hidden states for the views' token ids, views joined on the batch axis: (N, T_l, H), N = Σ B. One BERT
 * pass for all views (the corrupted and the complete ids of a training step together). Frozen: no tape, and the
 * intermediates freed at once.
 */
export function bertText(bert: Bert, frozen: boolean, views: readonly ModalityInputs[], T: number): Tensor {
  const B = views.map((v) => v.textBert!.length / (3 * T));
  const N = B.reduce((a, b) => a + b, 0);
  const ids = new Int32Array(N * T);
  const types = new Int32Array(N * T);
  const mask = new Int32Array(N * T);
  let row = 0;
  for (const v of views) {
    const tb = v.textBert!;
    for (let b = 0; b < tb.length / (3 * T); b++, row++) {
      ids.set(tb.subarray(b * 3 * T, b * 3 * T + T), row * T);
      mask.set(tb.subarray(b * 3 * T + T, b * 3 * T + 2 * T), row * T);
      types.set(tb.subarray(b * 3 * T + 2 * T, b * 3 * T + 3 * T), row * T);
    }
  }
  const shape = [N, T] as const;
  const run = () => bert.forward({ data: ids, shape }, { data: types, shape }, { data: mask, shape }).hidden;
  return frozen ? noGrad(() => tidy(run)) : run();
}

/** The text sequences of the views, joined on the batch axis: BERT on ids, or each view's features via `features`. */
export function viewsText(
  bert: Bert | null,
  c: TextEncoderConfig,
  views: readonly ModalityInputs[],
  T: number,
  features: (x: ModalityInputs) => Tensor,
): Tensor {
  if (bert) return bertText(bert, c.frozen, views, T);
  const xs = views.map(features);
  return xs.length === 1 ? xs[0] : concat(xs, 0);
}
