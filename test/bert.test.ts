// The engine's Bert (src/engine/nn/bert.ts): PyTorch parity at a small config (outputs and every parameter gradient
// against test/torch-reference/bert.py, float64), and Hugging Face checkpoints (names, shapes, config.json) mapping
// onto it or failing with a CheckpointError that names the tensor.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPage, type TestPage } from './page';
import { scenario } from './scenario';
import { maxAbs, relErr } from './model-parity';
import { CheckpointError, readSafetensors, writeSafetensors } from '../src/engine/io/safetensors';
import { bertConfigFromHF, bertShapes, planBertLoad, type HfBertConfigJson } from '../src/engine/io/bert-checkpoint';

let page: TestPage;
beforeAll(async () => {
  page = await openPage();
});
afterAll(() => page?.close());

// bert-base-uncased's config.json, as the Hub serves it.
const BERT_BASE_CONFIG: HfBertConfigJson & Record<string, unknown> = {
  architectures: ['BertForMaskedLM'],
  attention_probs_dropout_prob: 0.1,
  gradient_checkpointing: false,
  hidden_act: 'gelu',
  hidden_dropout_prob: 0.1,
  hidden_size: 768,
  initializer_range: 0.02,
  intermediate_size: 3072,
  layer_norm_eps: 1e-12,
  max_position_embeddings: 512,
  model_type: 'bert',
  num_attention_heads: 12,
  num_hidden_layers: 12,
  pad_token_id: 0,
  position_embedding_type: 'absolute',
  transformers_version: '4.6.0.dev0',
  type_vocab_size: 2,
  use_cache: true,
  vocab_size: 30522,
};

/**
 * The header of a BERT model.safetensors, written out here from Hugging Face's module tree (no 440 MB file): 'hub' is
 * bert-base-uncased's file (BertForPreTraining: "bert." prefix, LayerNorm gamma/beta, the cls.* heads, the
 * position_ids buffer), 'model' what BertModel.save_pretrained writes today (bare names, weight/bias).
 */
function bertHeader(style: 'hub' | 'model', c = BERT_BASE_CONFIG): Map<string, { dtype: string; shape: number[] }> {
  const { hidden_size: H, intermediate_size: I, vocab_size: V } = c;
  const pre = style === 'hub' ? 'bert.' : '';
  const [g, b] = style === 'hub' ? ['gamma', 'beta'] : ['weight', 'bias'];
  const entries: [string, number[]][] = [];
  const dense = (name: string, out: number, inF: number) =>
    entries.push([`${name}.weight`, [out, inF]], [`${name}.bias`, [out]]);
  const norm = (name: string) => entries.push([`${name}.LayerNorm.${g}`, [H]], [`${name}.LayerNorm.${b}`, [H]]);
  entries.push([`${pre}embeddings.word_embeddings.weight`, [V, H]]);
  entries.push([`${pre}embeddings.position_embeddings.weight`, [c.max_position_embeddings, H]]);
  entries.push([`${pre}embeddings.token_type_embeddings.weight`, [c.type_vocab_size, H]]);
  norm(`${pre}embeddings`);
  for (let l = 0; l < c.num_hidden_layers; l++) {
    const p = `${pre}encoder.layer.${l}`;
    for (const qkv of ['query', 'key', 'value']) dense(`${p}.attention.self.${qkv}`, H, H);
    dense(`${p}.attention.output.dense`, H, H);
    norm(`${p}.attention.output`);
    dense(`${p}.intermediate.dense`, I, H);
    dense(`${p}.output.dense`, H, I);
    norm(`${p}.output`);
  }
  dense(`${pre}pooler.dense`, H, H);
  if (style === 'hub') {
    entries.push(['bert.embeddings.position_ids', [1, c.max_position_embeddings]]);
    entries.push(['cls.predictions.bias', [V]]);
    dense('cls.predictions.transform.dense', H, H);
    entries.push(['cls.predictions.transform.LayerNorm.gamma', [H]], ['cls.predictions.transform.LayerNorm.beta', [H]]);
    dense('cls.seq_relationship', 2, H);
  }
  // As the file's JSON header: F32 tensors back to back (I64 for the position_ids buffer).
  let offset = 0;
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  for (const [name, shape] of entries) {
    const dtype = name.endsWith('position_ids') ? 'I64' : 'F32';
    const bytes = shape.reduce((a, d) => a * d, 1) * (dtype === 'I64' ? 8 : 4);
    header[name] = { dtype, shape, data_offsets: [offset, (offset += bytes)] };
  }
  const parsed = JSON.parse(JSON.stringify(header)) as Record<string, { dtype: string; shape: number[] }>;
  delete parsed.__metadata__;
  return new Map(Object.entries(parsed));
}

/** The CheckpointError `f` throws (fails the test when it throws nothing or something else). */
function checkpointError(f: () => unknown): CheckpointError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(CheckpointError);
    return e as CheckpointError;
  }
  throw new Error('expected a CheckpointError, nothing was thrown');
}

describe('Hugging Face BERT checkpoints (headers only, no GPU)', () => {
  const config = bertConfigFromHF(JSON.stringify(BERT_BASE_CONFIG));

  it("maps bert-base-uncased's header (bert. prefix, gamma/beta, heads, buffers) and BertModel's onto Bert", () => {
    expect(config).toMatchObject({ vocabSize: 30522, hidden: 768, layers: 12, heads: 12, intermediate: 3072 });
    expect(config).toMatchObject({ maxPosition: 512, typeVocab: 2, layerNormEps: 1e-12, padTokenId: 0 });
    for (const style of ['hub', 'model'] as const) {
      const header = bertHeader(style);
      const plan = planBertLoad(header, config);
      expect(plan.map.length).toBe(5 + 12 * 16 + 2);
      // BertModel's parameter count for bert-base-uncased.
      const count = plan.map.reduce((a, [, key]) => a + header.get(key)!.shape.reduce((x, d) => x * d, 1), 0);
      expect(count).toBe(109_482_240);
      if (style === 'hub') {
        expect(plan.ignored.sort()).toEqual(
          [...header.keys()].filter((k) => k.startsWith('cls.') || k.endsWith('position_ids')).sort(),
        );
        expect(plan.map).toContainEqual(['embeddings.LayerNorm.weight', 'bert.embeddings.LayerNorm.gamma']);
        expect(plan.map).toContainEqual([
          'encoder.layer.11.output.LayerNorm.bias',
          'bert.encoder.layer.11.output.LayerNorm.beta',
        ]);
      } else {
        expect(plan.ignored).toEqual([]);
        expect(plan.map.every(([name, key]) => name === key)).toBe(true);
      }
    }
  });

  it('refuses a file that does not fit with one CheckpointError naming every tensor and both shapes', () => {
    const header = bertHeader('hub');
    header.delete('bert.encoder.layer.11.output.dense.weight');
    header.set('bert.encoder.layer.3.intermediate.dense.weight', { dtype: 'F32', shape: [3070, 768] });
    header.set('bert.encoder.layer.12.output.dense.bias', { dtype: 'F32', shape: [768] });
    const e = checkpointError(() => planBertLoad(header, config));
    expect(e.code).toBe('mismatch');
    expect(e.problems).toEqual([
      '"bert.encoder.layer.3.intermediate.dense.weight" is [3070, 768] in the file, the model\'s "encoder.layer.3.intermediate.dense.weight" is [3072, 768]',
      'missing from the file: "encoder.layer.11.output.dense.weight" [768, 3072]',
      'unexpected in the file: "bert.encoder.layer.12.output.dense.bias" [768]',
    ]);
    // A config of 6 layers against the 12-layer file: layers 6–11 are named as unexpected.
    const six = checkpointError(() => planBertLoad(bertHeader('model'), { ...config, layers: 6 }));
    expect(six.problems.length).toBe(6 * 16);
    expect(six.message).toContain('"encoder.layer.6.attention.self.query.weight"');
    // A model built without a pooler, given a file that has one.
    const noPool = checkpointError(() => planBertLoad(bertHeader('model'), { ...config, pooler: false }));
    expect(noPool.problems).toEqual([
      'unexpected in the file: "pooler.dense.weight" [768, 768] (the model was built without a pooler)',
      'unexpected in the file: "pooler.dense.bias" [768] (the model was built without a pooler)',
    ]);
    // The same parameter under two names.
    const twice = bertHeader('hub');
    twice.set('bert.embeddings.LayerNorm.weight', { dtype: 'F32', shape: [768] });
    expect(checkpointError(() => planBertLoad(twice, config)).message).toContain(
      '"bert.embeddings.LayerNorm.weight" and "bert.embeddings.LayerNorm.gamma" are the same parameter',
    );
  });

  it('refuses a config.json the engine cannot run, naming the key', () => {
    const bad = (patch: Record<string, unknown>) =>
      checkpointError(() => bertConfigFromHF({ ...BERT_BASE_CONFIG, ...patch } as HfBertConfigJson)).message;
    expect(bad({ hidden_act: 'gelu_new' })).toContain('hidden_act "gelu_new" is not supported');
    expect(bad({ position_embedding_type: 'relative_key' })).toContain('position_embedding_type "relative_key"');
    expect(bad({ num_attention_heads: 7 })).toContain('hidden_size must be a multiple of num_attention_heads');
    expect(bad({ vocab_size: undefined })).toContain('vocab_size must be a positive integer, got undefined');
    expect(bad({ model_type: 'roberta' })).toContain('model_type is "roberta"');
    expect(checkpointError(() => bertConfigFromHF('{"vocab_size": ')).message).toContain('not valid JSON');
  });

  it("bertShapes lists the tiny fixture's parameters with their shapes, in BertModel's order", () => {
    const { tensors, metadata } = readSafetensors(
      new Uint8Array(readFileSync(join(__dirname, 'fixtures', 'bert_tiny.safetensors'))),
    );
    const names: string[] = JSON.parse(metadata.names);
    expect(bertShapes(JSON.parse(metadata.config))).toEqual(names.map((n) => [n, tensors.get(`param.${n}`)!.shape]));
  });
});

describe('Bert', () => {
  it('matches the PyTorch reference (HF BertModel, 2 layers, hidden 64, padded batch): outputs and every gradient at rel. error ≤ 1e-4', async () => {
    const bytes = readFileSync(join(__dirname, 'fixtures', 'bert_tiny.safetensors'));
    const { tensors, metadata } = readSafetensors(new Uint8Array(bytes));
    const r = await scenario(page, 'bertParity', { b64: bytes.toString('base64') });
    const names: string[] = JSON.parse(metadata.names);
    expect(r.names).toEqual(names); // HF's names, in HF's order
    const want = (name: string) => tensors.get(name)!.data;
    expect(relErr(r.hidden, want('out.hidden')), 'hidden').toBeLessThanOrEqual(1e-4);
    expect(relErr(r.pooled, want('out.pooled')), 'pooled').toBeLessThanOrEqual(1e-4);
    const loss = JSON.parse(metadata.loss) as number;
    expect(Math.abs(r.loss - loss) / Math.abs(loss)).toBeLessThanOrEqual(1e-4);
    // key.bias shifts every score of a query by the same amount: its true gradient is exactly 0 and float32 sees
    // noise, so errors are relative to at least 1e-3 of the model's largest gradient.
    const floor = 1e-3 * Math.max(...names.map((n) => maxAbs(want(`grad.${n}`))));
    const bad: string[] = [];
    for (const n of names) {
      const g = r.grads[n];
      if (!g) {
        bad.push(`${n}: no gradient`);
        continue;
      }
      const e = relErr(g, want(`grad.${n}`), floor);
      if (e > 1e-4) bad.push(`${n}: ${e.toExponential(2)}`);
    }
    expect(bad, 'gradients off by more than 1e-4').toEqual([]);
    // The [PAD] row (padTokenId 0) takes no gradient, as nn.Embedding(padding_idx) — though id 0 appears in the batch.
    expect(maxAbs(r.grads['embeddings.word_embeddings.weight']!.slice(0, 64))).toBe(0);
  });

  it('loadBert reads a Hugging Face file (bert. prefix, gamma/beta, heads) + config.json and gives the reference outputs; a bad one fails before any GPU work', async () => {
    const fixture = readFileSync(join(__dirname, 'fixtures', 'bert_tiny.safetensors'));
    const { tensors, metadata } = readSafetensors(new Uint8Array(fixture));
    const c = JSON.parse(metadata.config);
    const config = JSON.stringify({
      ...BERT_BASE_CONFIG,
      vocab_size: c.vocabSize,
      hidden_size: c.hidden,
      num_hidden_layers: c.layers,
      num_attention_heads: c.heads,
      intermediate_size: c.intermediate,
      max_position_embeddings: c.maxPosition,
      type_vocab_size: c.typeVocab,
    });
    // The fixture's weights under bert-base-uncased's naming, plus a head the loader must skip.
    const hf = new Map<string, { shape: readonly number[]; data: Float32Array }>();
    for (const [k, v] of tensors) {
      if (!k.startsWith('param.')) continue;
      const key = `bert.${k.slice(6)}`
        .replace(/LayerNorm\.weight$/, 'LayerNorm.gamma')
        .replace(/LayerNorm\.bias$/, 'LayerNorm.beta');
      hf.set(key, v);
    }
    hf.set('cls.seq_relationship.bias', { shape: [2], data: new Float32Array(2) });
    const b64 = (m: Map<string, { shape: readonly number[]; data: Float32Array }>) =>
      Buffer.from(writeSafetensors(m)).toString('base64');
    const args = { config, fixture: fixture.toString('base64') };
    const r = await scenario(page, 'bertLoad', { ...args, weights: b64(hf) });
    if (r.error) throw new Error(`loadBert failed: ${r.error.message}`);
    expect(relErr(r.hidden, tensors.get('out.hidden')!.data)).toBeLessThanOrEqual(1e-4);
    expect(relErr(r.pooled!, tensors.get('out.pooled')!.data)).toBeLessThanOrEqual(1e-4);

    const wrong = new Map(hf);
    const q = wrong.get('bert.encoder.layer.1.attention.self.query.weight')!;
    wrong.set('bert.encoder.layer.1.attention.self.query.weight', {
      shape: [q.shape[0] / 2, q.shape[1] * 2],
      data: q.data,
    });
    const bad = await scenario(page, 'bertLoad', { ...args, weights: b64(wrong) });
    expect(bad.error).toMatchObject({ name: 'CheckpointError', code: 'mismatch' });
    expect(bad.error!.message).toContain('"bert.encoder.layer.1.attention.self.query.weight" is [32, 128] in the file');
    expect(bad.liveDelta).toBe(0);

    const nan = new Map(hf);
    const d = Float32Array.from(hf.get('bert.pooler.dense.bias')!.data);
    d[3] = NaN;
    nan.set('bert.pooler.dense.bias', { shape: [c.hidden], data: d });
    const nonFinite = await scenario(page, 'bertLoad', { ...args, weights: b64(nan) });
    expect(nonFinite.error).toMatchObject({ code: 'nonfinite' });
    expect(nonFinite.error!.message).toContain('"bert.pooler.dense.bias"[3] is NaN');
    expect(nonFinite.liveDelta).toBe(0);
  });

  it('refuses a bad config or input with a WebgradError naming it, before any GPU work', async () => {
    const r = await scenario(page, 'bertBadInput', {});
    const want: Record<string, string> = {
      badHeads: 'config.hidden (8) must be a multiple of config.heads (3)',
      badPad: 'config.padTokenId must be null or an id in [0, 10), got 10',
      idOutOfRange: 'ids[2] = 10 is outside [0, 10)',
      raggedRows: 'ids: every row must have the same length (3)',
      tooLong: 'sequence length 7 exceeds maxPosition 6',
      badTypes: 'tokenTypes[2] = 2 is outside [0, 2)',
      maskShape: 'mask must be (B, T) = (2, 3), got (1, 3)',
      maskValue: 'mask[5] = 5 is outside [0, 2)',
    };
    for (const [k, msg] of Object.entries(want)) {
      expect(r[k], k).toMatchObject({ threw: true, name: 'WebgradError', dispatches: 0 });
      expect(r[k].message, k).toContain(msg);
    }
  });
});
