// The text branch DAR and DERL share (docs/models.md §2.5): what turns a view's text into the (B, T_l, d) sequence the
// alignment layer reads.
//   'features': the precomputed `text` features (MMSA's (N, 50, 768) BERT output of the COMPLETE sentence), dropped
//               tokens zeroed — kept tokens still carry the whole sentence's context (a leak; README "Fidelity").
//   'bert':     LNLN's and DAR's own path: BERT (src/engine/nn/bert.ts) runs on the token ids `textBert` (B, 3, T_l)
//               of each view — the corrupted ids (dropped → [UNK]) and the complete ids — every step, fine-tuned
//               with the rest of the model (LNLN: one AdamW group, lr 1e-4 in `paper`) or frozen.
// The BERT's parameters sit under `bert.` in the model's names, so checkpoints hold them like any other weight.

import { check } from '../../engine/errors';
import { Bert, type BertConfig } from '../../engine/nn/bert';
import { concat } from '../../engine/ops/shape';
import { noGrad, tidy, type Tensor } from '../../engine/tensor';
import type { DatasetDims } from '../data/types';
import type { ModalityInputs } from './types';

/** BERT's sizes (everything but the seed). */
export type BertSizes = Omit<BertConfig, 'seed'>;

export interface TextEncoderConfig {
  readonly kind: 'features' | 'bert';
  /** BERT's sizes when kind is 'bert', else null. */
  readonly bert: BertSizes | null;
  /** Keep BERT's weights fixed (not in mainParameters(), no tape through it); LNLN fine-tunes (false). */
  readonly frozen: boolean;
}

/** The `small` presets' BERT, trained from scratch on synthetic-mosi's ids (vocabulary 120, SYNTHETIC_VOCAB). */
export const TINY_BERT: BertSizes = {
  vocabSize: 120,
  hidden: 64,
  layers: 2,
  heads: 4,
  intermediate: 256,
  maxPosition: 64,
  typeVocab: 2,
  pooler: false,
};

/** bert-base-uncased's config.json, as LNLN fine-tunes it (HF's hidden dropout 0.1 in training). */
export const BERT_BASE_UNCASED: BertSizes = {
  vocabSize: 30522,
  hidden: 768,
  layers: 12,
  heads: 12,
  intermediate: 3072,
  maxPosition: 512,
  typeVocab: 2,
  hiddenDropout: 0.1,
};

export const FEATURE_TEXT: TextEncoderConfig = { kind: 'features', bert: null, frozen: false };

/** The width of the text sequence the alignment layer reads: BERT's hidden size, or the features' d_l. */
export function textInputDim(c: TextEncoderConfig, dims: DatasetDims): number {
  return c.kind === 'bert' ? c.bert!.hidden : dims.text.dim;
}

/** Throws a WebgradError naming `op` for a text-encoder config that cannot work with `dims`. */
export function validateTextEncoder(op: string, c: TextEncoderConfig, dims: DatasetDims): void {
  check(c !== null && typeof c === 'object', op, 'textEncoder must be { kind, bert, frozen }');
  check(c.kind === 'features' || c.kind === 'bert', op, `textEncoder.kind must be 'features' or 'bert', got ${c.kind}`);
  check(typeof c.frozen === 'boolean', op, 'textEncoder.frozen must be a boolean');
  if (c.kind === 'features') return;
  check(c.bert !== null && typeof c.bert === 'object', op, "textEncoder.bert must give BERT's sizes");
  check(
    Number.isInteger(c.bert!.maxPosition) && c.bert!.maxPosition >= dims.text.len,
    op,
    `textEncoder.bert.maxPosition (${c.bert!.maxPosition}) must cover the ${dims.text.len} text positions`,
  );
}

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
