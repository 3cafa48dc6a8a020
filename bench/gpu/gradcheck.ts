// The Node gradient checks (test/node/gradcheck.test.ts: one three-tier check per kernel family, on Dawn) as one
// self-contained program, for the GPU machine of bench/gpu/run.sh, which has no node_modules: pack.mjs bundles it
// with `vitest` mapped to ./vitest-shim.ts. The profile comes from WEBGRAD_TUNING (cpu|gpu), as in `npm run
// test:node`; run.sh runs it once per profile. Run from the repository root (it reads kernels/ for the family check).
//
//   node bench/gpu/payload/gradcheck.mjs [name filter]

import './node-env';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { provide, runTests } from './vitest-shim';
import '../../test/node/gradcheck.test';

/** Families whose kernels have no gradient (as test/node/globalSetup.ts). */
const NO_GRADIENT_FAMILIES = new Set(['optim', 'common']);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'webgrad-gradcheck-'));
const kernelLog = path.join(dir, 'kernels-dispatched.txt');
fs.writeFileSync(kernelLog, '');
provide('kernelLog', kernelLog);
const filter = process.argv[2];

const t0 = performance.now();
const failed = await runTests((s) => console.log(s), filter);
const wg = (
  globalThis as {
    wg?: { tuning(): { profile: string; reason: string }; describeAdapter(a: unknown): string; adapterInfo(): unknown };
  }
).wg;
if (wg)
  console.log(
    `adapter: ${wg.describeAdapter(wg.adapterInfo())}; tuning: ${wg.tuning().profile} (${wg.tuning().reason})`,
  );

// Every family with a differentiable kernel must have had one inside a gradient check (as globalSetup.ts checks).
const grad = new Set(
  fs
    .readFileSync(kernelLog, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('grad '))
    .map((l) => l.slice(5)),
);
fs.rmSync(dir, { recursive: true, force: true });
const unchecked = fs
  .readdirSync('kernels', { withFileTypes: true })
  .filter((e) => e.isDirectory() && !NO_GRADIENT_FAMILIES.has(e.name))
  .map((e) => e.name)
  .filter((f) => !fs.readdirSync(path.join('kernels', f)).some((k) => k.endsWith('.wgsl') && grad.has(k.slice(0, -5))));
const families = `${grad.size} kernels gradient-checked; families without one: ${unchecked.join(', ') || 'none'}`;
console.log(
  `${failed ? `${failed} FAILED` : 'all passed'} in ${((performance.now() - t0) / 1000).toFixed(1)} s; ${families}`,
);
process.exitCode = failed || (unchecked.length && !filter) ? 1 : 0;
