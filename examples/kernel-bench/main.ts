// A kernel benchmark in a page: times webgrad's matmul (GFLOP/s) and softmax (GB/s) at a few sizes on this browser's
// WebGPU device, after checking one product against a plain JavaScript one, and prints the per-kernel profile of one
// call. `npx webgrad-gpu bench` is the full benchmark; this shows how to time your own shapes.

import * as wg from 'webgrad-gpu';

const out = document.getElementById('out')!;
const print = (s: string) => (out.textContent = `${out.textContent === 'running…' ? '' : out.textContent}${s}\n`);

/** Max |GPU − JS| over a small product, relative to the largest |JS| value. */
async function checkMatmul(n: number): Promise<number> {
  const a = wg.randn([n, n], { seed: 1 });
  const b = wg.randn([n, n], { seed: 2 });
  const [av, bv, cv] = await Promise.all([a.toArray(), b.toArray(), wg.tidy(() => wg.matmul(a, b)).toArray()]);
  let err = 0;
  let scale = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += av[i * n + k]! * bv[k * n + j]!;
      err = Math.max(err, Math.abs(s - cv[i * n + j]!));
      scale = Math.max(scale, Math.abs(s));
    }
  }
  a.dispose();
  b.dispose();
  return err / scale;
}

/** Mean seconds per call of `fn`, over enough calls to last about `targetMs` (after one warm-up call). */
async function time(fn: () => void, targetMs = 200): Promise<number> {
  const rt = wg.runtime();
  wg.tidy(fn);
  await rt.sync();
  let calls = 1;
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) wg.tidy(fn);
    await rt.sync();
    const ms = performance.now() - t0;
    if (ms >= targetMs || calls >= 1024) return ms / 1000 / calls;
    calls *= 2;
  }
}

async function main(): Promise<void> {
  await wg.init();
  const rows: { kernel: string; size: number; seconds: number; rate: number; unit: string }[] = [];
  const relErr = await checkMatmul(64);
  print(`matmul 64×64×64 vs JavaScript: max relative error ${relErr.toExponential(1)}`);
  for (const n of [128, 256, 512]) {
    const a = wg.randn([n, n], { seed: 3 });
    const b = wg.randn([n, n], { seed: 4 });
    const s = await time(() => void wg.matmul(a, b));
    rows.push({ kernel: 'matmul', size: n, seconds: s, rate: (2 * n ** 3) / s / 1e9, unit: 'GFLOP/s' });
    a.dispose();
    b.dispose();
  }
  for (const n of [256, 1024]) {
    const x = wg.randn([n, n], { seed: 5 });
    const s = await time(() => void wg.softmax(x));
    rows.push({ kernel: 'softmax', size: n, seconds: s, rate: (2 * 4 * n * n) / s / 1e9, unit: 'GB/s' });
    x.dispose();
  }
  for (const r of rows)
    print(
      `${r.kernel.padEnd(8)} ${String(r.size).padStart(5)}²  ${(r.seconds * 1e3).toFixed(3).padStart(8)} ms  ${r.rate.toFixed(2)} ${r.unit}`,
    );
  const a = wg.randn([256, 256], { seed: 6 });
  const { profile } = await wg.runtime().profile(() => void wg.tidy(() => wg.softmax(wg.matmul(a, a))));
  print(`\nprofile of softmax(a·a), 256²:\n${wg.formatProfile(profile)}`);
  a.dispose();
  // For the CI run in headless Chromium (test/package.test.ts).
  (globalThis as { exampleResult?: unknown }).exampleResult = { relErr, rows };
}

main().catch((e: unknown) => {
  print(`error: ${e instanceof Error ? e.message : String(e)}`);
  (globalThis as { exampleResult?: unknown }).exampleResult = { error: String(e) };
});
