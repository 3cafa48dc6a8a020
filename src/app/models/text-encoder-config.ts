// The text branch's configuration (./text-encoder.ts has what runs it): plain data and checks, no GPU code, so the
// model catalog and Node's CLI can read it.

import { check } from '../../engine/errors';
import type { BertConfig } from '../../engine/nn/bert';
import type { DatasetDims } from '../data/types';

/** BERT's sizes (everything but the seed). */
export type BertSizes = Omit<BertConfig, 'seed'>;

export interface TextEncoderConfig {
  readonly kind: 'features' | 'bert';
  /** BERT's sizes when kind is 'bert', else null. */
  readonly bert: BertSizes | null;
  /** Keep BERT's weights fixed (not in mainParameters(), no tape through it); LNLN fine-tunes (false). */
  readonly frozen: boolean;
}

/**
 * The `small` presets' BERT, trained from scratch on synthetic-mosi's ids (vocabulary 120, SYNTHETIC_VOCAB). One layer
 * of width 32 (2 heads of 16, FFN 64): a DAR small step with 2 layers of 64 (FFN 256) took 2.3× the feature path's
 * epoch on SwiftShader, this one about half that (README "Fidelity" has the measured ratios).
 */
export const TINY_BERT: BertSizes = {
  vocabSize: 120,
  hidden: 32,
  layers: 1,
  heads: 2,
  intermediate: 64,
  maxPosition: 64,
  typeVocab: 2,
  pooler: false,
};

/**
 * How the tiny BERT trains (npm start's --bert-lr-scale and --bert-pretrain-steps defaults): BERT's learning rate as a
 * multiple of the run's, in an AdamW group of its own, and the masked-LM steps that pre-train it on the training
 * split's ids once per run (src/app/train/pretrain-bert.ts). 1 and 0, the run as before: neither lever, nor both, made
 * DAR use the text on the default run (docs/decisions/bert.md § Round 2).
 */
export const TINY_BERT_TRAINING = { lrScale: 1, pretrainSteps: 0 } as const;

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
