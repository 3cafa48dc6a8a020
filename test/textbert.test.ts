// DAR's and DERL's BERT text branch (src/app/models/text-encoder.ts): a training step on token ids alone, fine-tuned
// (every BERT weight gets a gradient) or frozen (none does, none is optimised, the same loss), and predict() following
// the ids. Page side: test/page/scenarios-textbert.ts.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPage, type TestPage } from './page';
import { scenario } from './scenario';

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
