// Scenarios exercising the runtime itself: creation, random numbers, lifetimes, errors, batching.

import type * as wgType from '../../src/app/all';
import type { ScenarioTable } from './scenarios';

/** Dispatches `k` once and returns the error the next sync raises (name and message), or null. */
async function syncErrorOf(w: typeof wgType, k: wgType.Kernel): Promise<{ name: string; message: string } | null> {
  w.runtime().dispatch({ kernel: k, buffers: {}, groups: [1] });
  try {
    await w.runtime().sync();
    return null;
  } catch (e) {
    return { name: (e as Error).name, message: (e as Error).message };
  }
}

export const SCENARIOS = {
  roundtrip: async ({ data, shape }: { data: number[]; shape: number[] }, w) => {
    const t = w.tensor(data, shape);
    const out = Array.from(await t.toArray());
    t.dispose();
    return out;
  },

  creation: async (_args, w) =>
    w.tidyAsync(async () => ({
      zeros: Array.from(await w.zeros([3, 5]).toArray()),
      ones: Array.from(await w.ones([17]).toArray()),
      full: Array.from(await w.full([2, 2], -2.5).toArray()),
      empty0: (await w.zeros([0, 3]).toArray()).length,
    })),

  random: async ({ n, seed }: { n: number; seed: number }, w) =>
    w.tidyAsync(async () => {
      const stats = (a: Float32Array) => {
        let m = 0;
        for (const v of a) m += v;
        m /= a.length;
        let v2 = 0;
        for (const v of a) v2 += (v - m) ** 2;
        let lo = Infinity;
        let hi = -Infinity;
        for (const v of a) {
          lo = Math.min(lo, v);
          hi = Math.max(hi, v);
        }
        return { mean: m, std: Math.sqrt(v2 / a.length), min: lo, max: hi };
      };
      const n1 = await w.randn([n], { seed }).toArray();
      const n2 = await w.randn([n], { seed }).toArray();
      const n3 = await w.randn([n], { seed: seed + 1 }).toArray();
      const u = await w.rand([n], { seed, low: -2, high: 3 }).toArray();
      const shifted = await w.randn([n], { seed, mean: 5, std: 0.5 }).toArray();
      let same = true;
      for (let i = 0; i < n; i++) same &&= n1[i] === n2[i];
      let differ = 0;
      for (let i = 0; i < n; i++) differ += n1[i] !== n3[i] ? 1 : 0;
      return {
        normal: stats(n1),
        uniform: stats(u),
        shifted: stats(shifted),
        reproducible: same,
        differFraction: differ / n,
      };
    }),

  errors: async (_args, w) => {
    const caught = (f: () => unknown) => {
      try {
        f();
        return null;
      } catch (e) {
        return { name: (e as Error).name, message: (e as Error).message };
      }
    };
    const t = w.zeros([2, 3]);
    t.dispose();
    let readErr = null;
    try {
      await t.toArray();
    } catch (e) {
      readErr = { name: (e as Error).name, message: (e as Error).message };
    }
    return {
      nonFinite: caught(() => w.tensor([1, NaN, 2], [3])),
      infinite: caught(() => w.tensor([1, Infinity], [2])),
      wrongCount: caught(() => w.tensor([1, 2, 3], [2, 2])),
      badShape: caught(() => w.zeros([2, -1])),
      fractional: caught(() => w.zeros([1.5])),
      disposedRead: readErr,
      itemOfMany: await w
        .ones([3])
        .item()
        .then(
          () => null,
          (e: Error) => ({ name: e.name, message: e.message }),
        ),
    };
  },

  compileError: async (_args, w) =>
    syncErrorOf(w, w.kernel('broken_kernel', '@compute @workgroup_size(1)\nfn main() {\n  let x: f32 = 1u;\n}\n', {})),

  includeCompileError: async (_args, w) => {
    const library = {
      'test/broken.wgsl': '// a helper with a type error on its line 3\nfn helper() -> f32 {\n  return 1u;\n}\n',
    };
    const src = '//#include "test/broken.wgsl"\n@compute @workgroup_size(1)\nfn main() {\n  _ = helper();\n}\n';
    return syncErrorOf(w, w.kernel('includes_broken', src, {}, library));
  },

  contractErrors: async (_args, w) => {
    const src =
      'struct Params { n: u32, s: f32 }\n@group(0) @binding(0) var<uniform> p: Params;\n' +
      '@group(0) @binding(1) var<storage, read> x: array<f32>;\n@group(0) @binding(2) var<storage, read_write> y: array<f32>;\n' +
      '@compute @workgroup_size(1)\nfn main() {\n  y[0] = x[0] * p.s + f32(p.n);\n}\n';
    const message = (f: () => unknown) => {
      try {
        f();
        return null;
      } catch (e) {
        return `${(e as Error).name}: ${(e as Error).message}`;
      }
    };
    const rt = w.runtime();
    const scale = w.kernel('scale_probe', src, {
      params: { n: 'u32', s: 'f32' },
      buffers: { x: 'read', y: 'read_write' },
    });
    const x = w.tensor([2], [1]);
    const y = w.zeros([1]);
    const before = rt.stats().dispatches;
    const errors = {
      swapped: message(() =>
        w.kernel('scale_probe', src, { params: { n: 'u32', s: 'f32' }, buffers: { y: 'read_write', x: 'read' } }),
      ),
      missingParam: message(() =>
        rt.dispatch({ kernel: scale, params: { n: 1 }, buffers: { x: x.buffer, y: y.buffer }, groups: [1] }),
      ),
      extraBuffer: message(() =>
        rt.dispatch({
          kernel: scale,
          params: { n: 1, s: 3 },
          buffers: { x: x.buffer, y: y.buffer, z: y.buffer },
          groups: [1],
        }),
      ),
    };
    const recorded = rt.stats().dispatches - before;
    rt.dispatch({ kernel: scale, params: { s: 3, n: 1 }, buffers: { y: y.buffer, x: x.buffer }, groups: [1] });
    return { ...errors, recorded, y: [...(await y.toArray())] };
  },

  tidyAndPool: async (_args, w) => {
    const rt = w.runtime();
    await rt.sync();
    const start = rt.stats();
    const kept = w.tidy(() => {
      const a = w.ones([64]);
      w.zeros([128]);
      w.full([32], 3).keep();
      return { a };
    });
    const afterTidy = rt.stats();
    kept.a.dispose();
    await rt.sync();
    // The same sizes again must come from the pool, not new allocations.
    w.tidy(() => {
      w.ones([64]);
      w.zeros([128]);
    });
    await rt.sync();
    const end = rt.stats();
    return {
      liveAfterTidy: afterTidy.liveBuffers - start.liveBuffers, // a and the kept tensor
      liveAtEnd: end.liveBuffers - start.liveBuffers, // only the kept tensor
      newAllocations: end.allocatedBuffers - afterTidy.allocatedBuffers,
    };
  },

  batching: async ({ n, batchSize }: { n: number; batchSize: number }, w) => {
    const rt = w.runtime();
    await rt.sync();
    const s0 = rt.stats();
    w.tidy(() => {
      for (let i = 0; i < n; i++) w.full([16], i);
    });
    await rt.sync();
    const s1 = rt.stats();
    return {
      dispatches: s1.dispatches - s0.dispatches,
      submits: s1.submits - s0.submits,
      batchSize: rt.batchSize,
      expected: Math.ceil(n / batchSize),
    };
  },

  viewsShareStorage: async (_args, w) => {
    const rt = w.runtime();
    const a = w.tensor([1, 2, 3, 4, 5, 6], [2, 3]);
    const v = a.view([3, 2]);
    const live0 = rt.stats().liveBuffers;
    a.dispose();
    const stillReadable = Array.from(await v.toArray());
    const live1 = rt.stats().liveBuffers;
    v.dispose();
    const live2 = rt.stats().liveBuffers;
    return { stillReadable, freedOnFirstDispose: live0 - live1, freedOnLastDispose: live1 - live2, shape: v.shape };
  },

  autogradSemantics: async ({ data }: { data: number[] }, w) =>
    w.tidyAsync(async () => {
      const n = data.length;
      const x = w.tensor(data, [n], { requiresGrad: true });
      // A diamond: x feeds three consumers; y = Σ (x·x + x + 3·x) has dy/dx = 2x + 4.
      const y = () => w.sum(w.add(w.add(w.mul(x, x), x), w.mulScalar(x, 3)));
      y().backward();
      const once = Array.from(await x.grad!.toArray());
      y().backward(); // gradients accumulate across backward() calls
      const twice = Array.from(await x.grad!.toArray());
      x.grad!.dispose();
      x.grad = null;
      // detach() cuts the tape: z = Σ x·detach(x) has dz/dx = x.
      w.sum(w.mul(x, x.detach())).backward();
      const detached = Array.from(await x.grad!.toArray());
      x.grad!.dispose();
      x.grad = null;
      const underNoGrad = w.noGrad(() => w.mul(x, x));
      // A non-scalar output needs an explicit seed gradient.
      const seed = w.tensor(
        data.map((_: number, i: number) => i + 1),
        [n],
      );
      w.mul(x, w.ones([n])).backward(seed);
      const seeded = Array.from(await x.grad!.toArray());
      x.grad!.dispose();
      let implicitNonScalar = null;
      try {
        w.mul(x, x).backward();
      } catch (e) {
        implicitNonScalar = (e as Error).name;
      }
      return {
        once,
        twice,
        detached,
        seeded,
        noGradTracked: underNoGrad.requiresGrad || underNoGrad.node !== null,
        implicitNonScalar,
      };
    }),
} satisfies ScenarioTable;
