// The bench's jax-js peer (bench/peers/jax.ts) on Dawn, as `npm run bench -- --runtime node` runs it: its WebGPU
// backend starts on Dawn's navigator.gpu, a forward and a vjp backward agree with the float64 reference, a wrong
// reference is caught, and a timed call submits its kernels (jax-js is lazy: a call that only built arrays would time
// nothing). No timings.

import { beforeAll, describe, expect, it } from 'vitest';
import { dawnAdapter } from '../../src/node/dawn';
import { matmulRef } from '../../src/engine/ops/matmul.reference';
import { randomData } from '../../bench/random-data';
import type { JaxRuntime } from '../../bench/peers/jax';

let jaxPeer: typeof import('../../bench/peers/jax');
let rt: JaxRuntime;

beforeAll(async () => {
  // What bench/node-page.ts gives the bench's pages in Node.
  const { gpu } = await dawnAdapter();
  const g = globalThis as unknown as { navigator?: object };
  g.navigator ??= {};
  Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
  if (!('userAgent' in g.navigator))
    Object.defineProperty(g.navigator, 'userAgent', { value: `Node.js/${process.version}`, configurable: true });
  jaxPeer = await import('../../bench/peers/jax');
  rt = await jaxPeer.initJax();
});

// Odd sizes, so that no tile divides them.
const [M, K, N] = [5, 7, 3];
const a = randomData(M * K, 1);
const b = randomData(K * N, 2);
const gy = randomData(M * N, 3);
const inputs = [
  { data: a, shape: [M, K], grad: true },
  { data: b, shape: [K, N], grad: true },
];

describe('bench peer: jax-js on WebGPU (Dawn)', () => {
  it('starts its WebGPU backend on navigator.gpu', () => {
    expect(rt.device.queue).toBeDefined();
    expect(rt.flags.device).toBe('webgpu');
  });

  it('forward and vjp backward match the float64 reference; a wrong reference does not', async () => {
    const fwd = jaxPeer.jaxInstance(rt.jax, inputs, ([x, y]) => rt.jax.numpy.matmul(x, y), {
      want: () => [matmulRef(a, [M, K], b, [K, N]).data],
    });
    expect(await fwd.check()).toBeLessThan(1e-6);
    fwd.dispose();
    const want = () => [
      matmulRef(gy, [M, N], b, [K, N], { transB: true }).data,
      matmulRef(a, [M, K], gy, [M, N], { transA: true }).data,
    ];
    const bwd = jaxPeer.jaxInstance(rt.jax, inputs, ([x, y]) => rt.jax.numpy.matmul(x, y), {
      gy: { data: gy, shape: [M, N] },
      want,
    });
    expect(await bwd.check()).toBeLessThan(1e-6);
    bwd.dispose();
    const swapped = jaxPeer.jaxInstance(rt.jax, inputs, ([x, y]) => rt.jax.numpy.matmul(x, y), {
      gy: { data: gy, shape: [M, N] },
      want: () => want().reverse(),
    });
    expect(await swapped.check()).toBeGreaterThan(0.1);
    swapped.dispose();
  });

  it('a timed call submits its kernels to the queue (nothing left pending)', async () => {
    const inst = jaxPeer.jaxInstance(rt.jax, inputs, ([x, y]) => rt.jax.numpy.matmul(x, y), {
      gy: { data: gy, shape: [M, N] },
      want: () => [],
    });
    await inst.run(); // the first call compiles
    await rt.sync();
    const queue = rt.device.queue;
    const submit = queue.submit.bind(queue);
    let submits = 0;
    queue.submit = (buffers) => {
      submits++;
      submit(buffers);
    };
    try {
      await inst.run();
      expect(submits).toBeGreaterThan(0);
      const after = submits;
      await rt.sync();
      expect(submits).toBe(after); // the wait submits nothing more: the call had submitted everything
    } finally {
      queue.submit = submit;
      inst.dispose();
    }
  });
});
