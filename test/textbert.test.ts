// DAR's and DERL's BERT text branch (src/app/models/text-encoder.ts): a training step on token ids alone, fine-tuned
// (every BERT weight gets a gradient) or frozen (none does, none is optimised, the same loss), and predict() following
// the ids. Page side: test/page/scenarios-textbert.ts.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPage, type TestPage } from './page';
import { scenario } from './scenario';
import { maskForMlm } from '../src/app/data/mlm';
import { syntheticMosi, SYNTHETIC_VOCAB } from '../src/app/data/synthetic';

let page: TestPage;
beforeAll(async () => {
  page = await openPage();
});
afterAll(() => page?.close());

describe.each(['dar', 'derl'] as const)('%s with a BERT text encoder', (kind) => {
  it('trains on token ids without reading the text features; fine-tuned BERT gets gradients, frozen BERT none', async () => {
    const r = await scenario(page, 'textBertStep', { kind });
    const { finetuned: f, frozen: z } = r;
    expect(f.bertParams).toBeGreaterThan(10);
    expect(Number.isFinite(f.total)).toBe(true);
    expect(f.inMain).toBe(f.bertParams);
    // Every BERT weight is reached (this one has no pooler), and not negligibly.
    expect(f.withGrad).toBe(f.bertParams);
    expect(f.maxGrad).toBeGreaterThan(1e-6);
    expect(z.inMain).toBe(0);
    expect(z.withGrad).toBe(0);
    expect(z.total).toBeCloseTo(f.total, 5); // the same weights: freezing changes the gradients, not the loss
  });

  it('predict() reads the ids: the same ids give the same output, one token → [UNK] changes it; no ids is an error', async () => {
    const r = await scenario(page, 'textBertPredict', { kind });
    expect(r.again).toEqual(r.a);
    expect(Math.abs(r.c[0] - r.a[0])).toBeGreaterThan(1e-7);
    expect(r.missing).toMatch(/WebgradError.*textBert must be an Int32Array/);
  });
});

describe('masked-LM pre-training of the tiny BERT (issue 16)', () => {
  it("maskForMlm: BERT's 15 % of content tokens, 80/10/10 → [UNK]/random/kept, specials and padding never chosen", () => {
    const ds = syntheticMosi({ seed: 0 });
    const T = ds.dims.text.len;
    const ix = Array.from({ length: 400 }, (_, i) => i);
    const tb = ds.batch('train', ix).textBert!;
    let s = 12345;
    const rand = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
    const m = maskForMlm(tb, T, SYNTHETIC_VOCAB.size, 0.15, rand);
    let content = 0;
    let chosen = 0;
    let unk = 0;
    let kept = 0;
    for (let b = 0; b < ix.length; b++) {
      for (let j = 0; j < T; j++) {
        const i = b * T + j;
        const id = tb[b * 3 * T + j];
        expect(m.mask[i]).toBe(tb[b * 3 * T + T + j]); // mask and segments unchanged
        expect(m.types[i]).toBe(tb[b * 3 * T + 2 * T + j]);
        const isContent = m.mask[i] === 1 && ![0, 100, 101, 102].includes(id);
        if (isContent) content++;
        if (m.targets[i] === -100) {
          expect(m.ids[i], `unchosen position ${b},${j} unchanged`).toBe(id);
          continue;
        }
        expect(isContent, `chosen position ${b},${j} is a content token`).toBe(true);
        expect(m.targets[i]).toBe(id);
        chosen++;
        if (m.ids[i] === 100) unk++;
        else if (m.ids[i] === id) kept++;
        else expect([0, 100, 101, 102]).not.toContain(m.ids[i]);
      }
    }
    expect(chosen / content).toBeGreaterThan(0.13);
    expect(chosen / content).toBeLessThan(0.17);
    expect(unk / chosen).toBeGreaterThan(0.75);
    expect(unk / chosen).toBeLessThan(0.85);
    expect(kept / chosen).toBeGreaterThan(0.06); // 10 % kept, plus the random draws that hit the same id
    expect(kept / chosen).toBeLessThan(0.15);
  });

  it('maskForMlm chooses one token when the draw chose none (an empty batch mean would be NaN)', () => {
    const tb = new Int32Array([101, 7, 9, 102, 0, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0]); // one sentence, T = 5
    const m = maskForMlm(tb, 5, 120, 0.15, () => 0.99);
    expect(Array.from(m.targets)).toEqual([-100, 7, -100, -100, -100]);
    expect(Array.from(m.ids)).toEqual([101, 100, 9, 102, 0]);
  });

  it('pretrainBertMlm lowers the masked-LM loss, is reproducible, frees its head, and checks its input first', async () => {
    const r = await scenario(page, 'pretrainMlm', { steps: 60 });
    const { losses } = r.a;
    expect(losses).toHaveLength(6);
    // From about ln 120 = 4.79 (uniform): the word frequencies and the context are learnt.
    expect(losses[0]).toBeGreaterThan(4.3);
    expect(losses.at(-1)!).toBeLessThan(losses[0] - 0.1); // measured: 4.77 → 4.57
    expect(r.a.moved).toBeGreaterThan(1e-3);
    expect(r.same).toBe(true);
    expect(r.a.leaked).toBe(0);
    expect(r.errors[0]).toMatch(/WebgradError.*pretrainBertMlm.*steps must be a positive integer, got 0/);
    expect(r.errors[1]).toMatch(/WebgradError.*pretrainBertMlm.*maskProb must be in \(0, 1\], got 0/);
    expect(r.errors[2]).toMatch(/WebgradError.*pretrainBertMlm.*has no token ids/);
    expect(r.dispatchesOnError).toBe(0);
  });
});
