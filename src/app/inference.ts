// Inference on plain arrays: what a WebGPU app calls once it has a trained model (loadModel in src/app/models/registry.ts).
//
//   const { model } = loadModel(await (await fetch('model-seed1111.safetensors')).arrayBuffer());   // weights + config
//   const y = await predictSentiment(model, { size: 2, text, audio: null, vision });   // audio entirely missing
//
// Inputs are row-major Float32Arrays shaped (B, T_m, d_m) with the (T, d) the model was trained for (model.config.dims;
// MOSI: text 50×768, audio 375×5, vision 500×20). Missing data is expressed the way the missing-data protocol does it:
// a missing frame or token is a zero vector, and a missing modality (null or left out) is all zeros. Every array is
// validated (length, finiteness) before anything reaches the GPU.
//
// A model whose text encoder is BERT (textEncoder 'bert', npm start's default) reads token ids instead of text
// features: `textBert`, an Int32Array (B, 3, T_l) laid out as MMSA's text_bert — ids, attention mask, segment ids — as
// LNLN's protocol writes it: a missing token's id is [UNK] (100), the mask unchanged; the whole text absent is every
// real token [UNK], [CLS]/[SEP] too. Giving such a model `text` features, or a feature model `textBert`, is an error.

import { check, WebgradError } from '../engine/errors';
import { runtime } from '../engine/engine';
import { tensor, zeros } from '../engine/creation';
import { noGrad, tidy, type Tensor } from '../engine/tensor';
import type { ModalityInputs, SentimentModel } from './models/types';
import type { TextEncoderConfig } from './models/text-encoder-config';

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
  /**
   * (B, 3, T_l) BERT inputs, for a model with a BERT text encoder only (and then required): rows of token ids
   * (missing → 100, [UNK]), attention mask (1 = token, 0 = padding) and segment ids, as MMSA's `text_bert`.
   */
  textBert?: Int32Array | null;
}

/** Whether the model encodes text with BERT from token ids (DAR/DERL with textEncoder 'bert'). */
export function readsTokenIds(model: SentimentModel): boolean {
  return textEncoderOf(model)?.kind === 'bert';
}

/** DAR's and DERL's text-encoder config (TextEncoderConfig); undefined for models without one. */
function textEncoderOf(model: SentimentModel): TextEncoderConfig | undefined {
  return (model.config as { textEncoder?: TextEncoderConfig }).textEncoder;
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
  if (readsTokenIds(model)) checkTokenIds(model, x);
  else
    check(
      x.textBert === null || x.textBert === undefined,
      op,
      `this ${model.kind} model reads text features (text (B, ${dims.text.len}, ${dims.text.dim})), not token ids: ` +
        'textBert is for a model with a BERT text encoder',
    );
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

/** A BERT model's text: textBert present, no features, ids/mask/segments within the BERT's ranges. */
function checkTokenIds(model: SentimentModel, x: FeatureBatch): void {
  const op = 'predictSentiment';
  const T = model.config.dims.text.len;
  const B = x.size;
  const what = `this ${model.kind} model encodes text with BERT`;
  check(
    x.text === null || x.text === undefined,
    op,
    `${what}: give token ids as textBert (B, 3, ${T}), not text features`,
  );
  const tb = x.textBert;
  check(
    tb instanceof Int32Array,
    op,
    `${what}: textBert must be an Int32Array (B, 3, ${T}) of ids, attention mask and segment ids ` +
      '(to leave the text out, set every real token to [UNK], 100)',
  );
  check(tb!.length === B * 3 * T, op, `textBert has ${tb!.length} values; expected B·3·T_l = ${B}·3·${T}`, [[B, 3, T]]);
  const bert = textEncoderOf(model)!.bert!;
  const limits = [bert.vocabSize, 2, bert.typeVocab];
  const rows = ['id', 'attention mask', 'segment id'];
  for (let i = 0; i < tb!.length; i++) {
    const r = Math.floor(i / T) % 3;
    const v = tb![i];
    if (v < 0 || v >= limits[r]) {
      const where = `sample ${Math.floor(i / (3 * T))}, position ${i % T}`;
      throw new WebgradError(op, `textBert: ${rows[r]} ${v} at ${where} is outside [0, ${limits[r]})`, [[B, 3, T]]);
    }
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
  if (readsTokenIds(model)) {
    // BERT reads the ids on the CPU (its embedding lookup); no text features exist for it to read.
    const inputs = { audio: make('audio'), vision: make('vision'), textBert: x.textBert! } as ModalityInputs;
    return Object.defineProperty(inputs, 'text', {
      get: () => {
        throw new WebgradError('predictSentiment', 'a BERT text encoder reads textBert, not text features');
      },
    });
  }
  const inputs: ModalityInputs = { text: make('text'), audio: make('audio'), vision: make('vision') };
  if (x.textDropped) inputs.textDropped = tensor(Float32Array.from(x.textDropped), [B, dims.text.len]);
  else if (x.text === null || x.text === undefined)
    inputs.textDropped = tensor(new Float32Array(B * dims.text.len).fill(1), [B, dims.text.len]);
  return inputs;
}

/**
 * Sentiment predictions (B values, in the label scale, e.g. [-3, 3] for MOSI) for one batch: audio and vision
 * features, and the text as features or, for a BERT text encoder, token ids (textBert).
 */
export async function predictSentiment(model: SentimentModel, x: FeatureBatch): Promise<Float32Array> {
  const y = noGrad(() => tidy(() => model.predict(featureTensors(model, x)))); // (B, 1)
  try {
    return await y.toArray();
  } finally {
    y.dispose();
  }
}
