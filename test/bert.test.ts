// The engine's Bert (src/engine/nn/bert.ts): PyTorch parity at a small config (outputs and every parameter gradient
// against test/torch-reference/bert.py, float64), and Hugging Face checkpoints (names, shapes, config.json) mapping
// onto it or failing with a CheckpointError that names the tensor.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPage, type TestPage } from './page';
import { scenario } from './scenario';
import { maxAbs, relErr } from './model-parity';
import { readSafetensors } from '../src/engine/io/safetensors';

let page: TestPage;
beforeAll(async () => {
  page = await openPage();
});
afterAll(() => page?.close());

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
});
