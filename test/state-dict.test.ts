// Module.stateDict() / loadStateDict() (src/engine/nn/state-dict.ts): names as namedParameters(), values copied into
// the existing parameters (an optimizer keeps working), strict by default, and a dict that does not fit is a
// StateDictError naming each key and both shapes, with nothing written.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPage, type TestPage } from './page';

let page: TestPage;
beforeAll(async () => {
  page = await openPage();
});
afterAll(() => page?.close());

const inPage = <T>(body: string): Promise<T> =>
  page.page.evaluate(`(async () => { const wg = globalThis.wg; ${body} })()`) as Promise<T>;

describe('stateDict', () => {
  it('maps namedParameters() names to the parameters themselves', async () => {
    const r = await inPage<{ keys: string[]; named: string[]; same: boolean }>(`
      const m = new wg.Sequential(new wg.Linear(3, 4, { seed: 1 }), new wg.Tanh(), new wg.Linear(4, 2, { seed: 2 }));
      const sd = m.stateDict();
      const named = m.namedParameters();
      const out = { keys: Object.keys(sd), named: named.map(([n]) => n), same: named.every(([n, p]) => sd[n] === p) };
      m.dispose();
      return out;
    `);
    expect(r.keys).toEqual(['layers.0.weight', 'layers.0.bias', 'layers.2.weight', 'layers.2.bias']);
    expect(r.keys).toEqual(r.named);
    expect(r.same).toBe(true);
  });
});

describe('loadStateDict', () => {
  it("copies another module's values into this one's parameters, which an optimizer then still steps", async () => {
    const r = await inPage<{ before: boolean; after: boolean; stepped: boolean; fromFile: boolean }>(`
      const a = new wg.LSTM(3, 4, { seed: 1 });
      const b = new wg.LSTM(3, 4, { seed: 2 });
      const opt = new wg.AdamW(b.parameters(), { lr: 0.1 });
      const x = wg.randn([2, 5, 3], { seed: 3 });
      const out = async (m) => Array.from(await wg.noGrad(() => m.forward(x).output).toArray());
      const eq = (p, q) => p.length === q.length && p.every((v, i) => v === q[i]);
      const ya = await out(a);
      const before = eq(ya, await out(b));
      const res = b.loadStateDict(a.stateDict());
      const after = eq(ya, await out(b)) && res.missing.length === 0 && res.unexpected.length === 0;
      // One step of b's optimizer still moves b (the same parameter tensors), and leaves a alone.
      wg.tidy(() => { wg.sum(b.forward(x).output).backward(); opt.step(); b.zeroGrad(); });
      const stepped = !eq(ya, await out(b)) && eq(ya, await out(a));
      // From a safetensors file: readSafetensors gives name → { shape, data }.
      const file = wg.writeSafetensors(await Promise.all(Object.entries(a.stateDict()).map(async ([n, p]) => [n, { shape: p.shape, data: await p.toArray() }])));
      b.loadStateDict(wg.readSafetensors(file).tensors);
      const fromFile = eq(ya, await out(b));
      a.dispose(); b.dispose(); x.dispose(); opt.dispose?.();
      return { before, after, stepped, fromFile };
    `);
    expect(r).toEqual({ before: false, after: true, stepped: true, fromFile: true });
  });

  it('is strict by default: a missing, unexpected or mis-shaped key is a StateDictError naming it, and nothing is written', async () => {
    const r = await inPage<{
      name: string;
      message: string;
      problems: string[];
      unchanged: boolean;
      loose: unknown;
      looseShape: string;
    }>(`
      const m = new wg.Linear(3, 2, { seed: 1 });
      const w0 = Array.from(await m.weight.toArray());
      const sd = { weight: wg.randn([3, 2], { seed: 5 }), extra: wg.zeros([1]) };
      let name = '', message = '', problems = [];
      try { m.loadStateDict(sd); } catch (e) { name = e.name; message = e.message; problems = e.problems; }
      const unchanged = Array.from(await m.weight.toArray()).every((v, i) => v === w0[i]);
      const ok = { weight: wg.randn([2, 3], { seed: 6 }), extra: wg.zeros([1]) };
      const loose = m.loadStateDict(ok, { strict: false });
      let looseShape = '';
      try { m.loadStateDict({ weight: sd.weight }, { strict: false }); } catch (e) { looseShape = e.name + ': ' + e.message; }
      m.dispose();
      for (const t of [...Object.values(sd), ...Object.values(ok)]) t.dispose();
      return { name, message, problems, unchanged, loose, looseShape };
    `);
    expect(r.name).toBe('StateDictError');
    expect(r.message).toMatch(/^loadStateDict: state dict does not fit \(3 problems\)/);
    expect(r.problems).toEqual([
      'shape mismatch for "weight": state dict has [3, 2], module has [2, 3]',
      'missing from the state dict: "bias"',
      'unexpected in the state dict: "extra"',
    ]);
    expect(r.unchanged).toBe(true);
    expect(r.loose).toEqual({ missing: ['bias'], unexpected: ['extra'] });
    expect(r.looseShape).toContain(
      'StateDictError: loadStateDict: state dict does not fit (1 problem): shape mismatch for "weight"',
    );
  });
});
