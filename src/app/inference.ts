// Inference on plain arrays: what a WebGPU app calls once it has a trained model (loadModel in src/app/models/registry.ts).
//
//   const { model } = loadModel(await (await fetch('model-seed1111.safetensors')).arrayBuffer());   // weights + config
//   const y = await predictSentiment(model, { size: 2, text, audio: null, vision });   // audio entirely missing
//
// Inputs are row-major Float32Arrays shaped (B, T_m, d_m) with the (T, d) the model was trained for (model.config.dims;
// MOSI: text 50×768, audio 375×5, vision 500×20). Missing data is expressed the way the missing-data protocol does it:
// a missing frame or token is a zero vector, and a missing modality (null or left out) is all zeros. Every array is
// validated (length, finiteness) before anything reaches the GPU.

import { check, WebgradError } from '../engine/errors';
import { runtime } from '../engine/engine';
import { tensor, zeros } from '../engine/creation';
import { noGrad, tidy, type Tensor } from '../engine/tensor';
import type { ModalityInputs, SentimentModel } from './models/types';

const MODALITIES = ['text', 'audio', 'vision'] as const;
type Modality = (typeof MODALITIES)[number];

export interface FeatureBatch {
  /** Number of samples B. */
  size: number;
  /** (B, T_l, d_l) text features; null or absent = the whole modality is missing. */
  text?: Float32Array | null;
  /** (B, T_a, d_a) audio features; null or absent = missing. */
  audio?: Float32Array | null;
  /** (B, T_v, d_v) vision features; null or absent = missing. */
  vision?: Float32Array | null;
  /**
   * (B, T_l) 1 where a text token was dropped. Only models built with a learned [UNK] vector use it (DAR with
   * textUnk 'learned'); without it, dropped tokens are the zero vectors in `text`.
   */
  textDropped?: Float32Array | Uint8Array | null;
}

/** Which modalities of a batch are absent (null or left out). */
export function missingModalities(x: FeatureBatch): Modality[] {
  return MODALITIES.filter((m) => x[m] === null || x[m] === undefined);
}

/** Checks a batch against the model's dims; throws WebgradError('predictSentiment', ...) naming what is wrong. */
export function checkFeatureBatch(model: SentimentModel, x: FeatureBatch): void {
  const op = 'predictSentiment';
  check(
    x !== null && typeof x === 'object',
    op,
    `the batch must be an object { size, text, audio, vision }, got ${x === null ? 'null' : typeof x}`,
  );
  check(!!model?.config?.dims, op, 'model must be a SentimentModel (from loadModel or a constructor)');
  const B = x.size;
  check(Number.isInteger(B) && B > 0, op, `size must be a positive integer, got ${String(B)}`);
  const dims = model.config.dims;
  // An absent modality becomes a zero tensor of B·T·d values: bound it (and every input) by what one GPU buffer
  // binding may hold, so a huge `size` is refused here instead of attempting the allocation.
  const limit = runtime().device.limits.maxStorageBufferBindingSize;
  for (const m of MODALITIES) {
    const { len, dim } = dims[m];
    check(
      B * len * dim * 4 <= limit,
      op,
      `size ${B} makes ${m} B·T·d = ${B}·${len}·${dim} values, more than one GPU buffer binding ` +
        `holds (${limit} bytes); predict in smaller batches`,
      [[B, len, dim]],
    );
  }
  for (const m of MODALITIES) {
    const a = x[m];
    if (a === null || a === undefined) continue;
    const { len, dim } = dims[m];
    check(a instanceof Float32Array, op, `${m} must be a Float32Array (B, ${len}, ${dim})`);
    check(
      a.length === B * len * dim,
      op,
      `${m} has ${a.length} values; ${model.kind} expects B·T·d = ${B}·${len}·${dim} = ${B * len * dim}`,
      [[B, len, dim]],
    );
    for (let i = 0; i < a.length; i++) {
      if (!Number.isFinite(a[i])) {
        const s = Math.floor(i / (len * dim));
        const t = Math.floor((i % (len * dim)) / dim);
        throw new WebgradError(
          op,
          `${m} has a non-finite value (${a[i]}) at sample ${s}, step ${t}, feature ${i % dim}`,
          [[B, len, dim]],
        );
      }
    }
  }
  if (x.textDropped) {
    check(
      x.textDropped.length === B * dims.text.len,
      op,
      `textDropped has ${x.textDropped.length} values; expected B·T_l = ${B}·${dims.text.len}`,
      [[B, dims.text.len]],
    );
  }
}

/** The batch as model inputs: uploads the arrays, zeros for missing modalities. Call inside tidy(). */
export function featureTensors(model: SentimentModel, x: FeatureBatch): ModalityInputs {
  checkFeatureBatch(model, x);
  const dims = model.config.dims;
  const B = x.size;
  const make = (m: Modality): Tensor => {
    const shape = [B, dims[m].len, dims[m].dim];
    const a = x[m];
    return a ? tensor(a, shape) : zeros(shape);
  };
  const inputs: ModalityInputs = { text: make('text'), audio: make('audio'), vision: make('vision') };
  if (x.textDropped) inputs.textDropped = tensor(Float32Array.from(x.textDropped), [B, dims.text.len]);
  else if (x.text === null || x.text === undefined)
    inputs.textDropped = tensor(new Float32Array(B * dims.text.len).fill(1), [B, dims.text.len]);
  return inputs;
}

/** Sentiment predictions (B values, in the label scale, e.g. [-3, 3] for MOSI) for one batch of features. */
export async function predictSentiment(model: SentimentModel, x: FeatureBatch): Promise<Float32Array> {
  const y = noGrad(() => tidy(() => model.predict(featureTensors(model, x)))); // (B, 1)
  try {
    return await y.toArray();
  } finally {
    y.dispose();
  }
}
