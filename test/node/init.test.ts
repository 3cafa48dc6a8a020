// webgrad-gpu/node's init() in fresh Node processes (each its own Dawn): it gives a working device that survives garbage
// collection, and without Dawn or without a usable Vulkan driver it throws a WebgradError saying what to install.
// Also the poll backoff's reach: only Dawn's native poll callback is delayed, never anyone else's setImmediate.

import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installPollBackoff } from '../../src/node/poll';

const root = path.resolve(__dirname, '../..');
let inRepo: string; // a bundle of src/node inside the repository, where `webgpu` resolves from node_modules
let outside: string; // the same bundle where no node_modules holds `webgpu`

beforeAll(async () => {
  fs.mkdirSync(path.join(root, 'dist'), { recursive: true });
  inRepo = fs.mkdtempSync(path.join(root, 'dist', 'node-init-test-'));
  outside = fs.mkdtempSync(path.join(os.tmpdir(), 'webgrad-no-dawn-'));
  await build({
    entryPoints: [path.join(root, 'src/node/index.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    loader: { '.wgsl': 'text' },
    external: ['webgpu'],
    outfile: path.join(inRepo, 'node.mjs'),
    logLevel: 'warning',
  });
  fs.copyFileSync(path.join(inRepo, 'node.mjs'), path.join(outside, 'node.mjs'));
});
afterAll(() => {
  for (const d of [inRepo, outside]) if (d) fs.rmSync(d, { recursive: true, force: true });
});

/** Runs `body` (with `wg` = the bundle in `dir`) in a fresh node; prints its last line as JSON. */
async function inNode(dir: string, body: string, env: Record<string, string | undefined> = {}): Promise<any> {
  const script = path.join(dir, `run-${Math.random().toString(36).slice(2)}.mjs`);
  fs.writeFileSync(
    script,
    `const wg = await import('./node.mjs');\ntry { console.log(JSON.stringify(await (async () => { ${body} })())); }\n` +
      `catch (e) { console.log(JSON.stringify({ error: e.name, message: e.message })); }\nprocess.exit(0);\n`,
  );
  const { stdout } = await promisify(execFile)(process.execPath, ['--expose-gc', script], {
    env: { ...process.env, ...env },
    timeout: 90_000,
  });
  return JSON.parse(stdout.trim().split('\n').at(-1)!);
}

describe('init() from webgrad-gpu/node', () => {
  it('gives a working Dawn device that outlives a garbage collection (its Dawn instance is kept reachable)', async () => {
    const r = await inNode(
      inRepo,
      `
      await wg.init();
      globalThis.gc(); // before the fix, Dawn's instance was collected here and the next big dispatch crashed the process
      const a = wg.rand([384, 384]), b = wg.rand([384, 384]);
      const c = await wg.matmul(a, b).toArray();
      const x = await a.toArray(), y = await b.toArray();
      let want = 0; for (let k = 0; k < 384; k++) want += x[k] * y[k * 384 + 5];
      return { got: c[5], want, adapter: wg.adapterInfo().architecture };`,
    );
    expect(r.error, r.message).toBeUndefined();
    expect(Math.abs(r.got - r.want)).toBeLessThan(1e-3 * Math.max(1, Math.abs(r.want)));
    expect(r.adapter).not.toBe('');
  });

  it("without the 'webgpu' package says to npm install it", async () => {
    const r = await inNode(outside, 'await wg.init(); return {};');
    expect(r.error).toBe('WebgradError');
    expect(r.message).toContain('npm install webgpu');
  });

  it('with no usable Vulkan driver says how to get SwiftShader', async () => {
    const r = await inNode(inRepo, 'await wg.init(); return {};', {
      VK_ICD_FILENAMES: path.join(inRepo, 'no-such-driver.json'),
    });
    expect(r.error).toBe('WebgradError');
    expect(r.message).toContain('SwiftShader');
    expect(r.message).toContain('no-such-driver.json');
  });

  it("refuses a poll mode other than 'backoff' or 'spin'", async () => {
    const r = await inNode(inRepo, 'await wg.init({ poll: "sometimes" }); return {};');
    expect(r.error).toBe('WebgradError');
    expect(r.message).toContain('sometimes');
  });
});

/** A long GPU wait in a child process, counting the setImmediate calls that reach Node's own (those Dawn spins on). */
const COUNT_POLLS = (poll: string) => `
  const original = globalThis.setImmediate;
  let polls = 0;
  globalThis.setImmediate = (fn, ...a) => { polls++; return original(fn, ...a); };
  await wg.init({ poll: '${poll}' });
  const x = wg.rand([512, 512]);
  const wait = async () => { const t0 = performance.now(); await wg.tidyAsync(() => wg.matmul(wg.matmul(wg.matmul(x, x), x), x).toArray()); return performance.now() - t0; };
  await wait(); // compiles the pipelines
  polls = 0;
  const ms = await wait();
  return { polls, ms };`;

describe('the poll backoff', () => {
  it("makes Dawn poll on a timer instead of every event-loop turn during a long wait ('spin' keeps Dawn's own polling)", async () => {
    const spin = await inNode(inRepo, COUNT_POLLS('spin'));
    const backoff = await inNode(inRepo, COUNT_POLLS('backoff'));
    expect(spin.error, spin.message).toBeUndefined();
    expect(backoff.error, backoff.message).toBeUndefined();
    // Spinning, Dawn reschedules itself thousands of times per second of waiting; backing off, about once per ms
    // (through setTimeout, which this count does not see) after the first millisecond of each wait.
    expect(spin.polls, `spin: ${spin.polls} polls in ${spin.ms.toFixed(0)} ms`).toBeGreaterThan(spin.ms);
    expect(
      backoff.polls,
      `backoff: ${backoff.polls} polls in ${backoff.ms.toFixed(0)} ms; spin: ${spin.polls} in ${spin.ms.toFixed(0)} ms`,
    ).toBeLessThan(spin.polls / 10);
  });

  it("leaves every setImmediate but Dawn's untouched, promisify(setImmediate) included", async () => {
    installPollBackoff();
    installPollBackoff(); // idempotent: one wrapper
    const order: string[] = [];
    await new Promise<void>((resolve) => {
      setTimeout(() => order.push('timeout'), 0);
      setImmediate((tag: string) => {
        order.push(tag);
        resolve();
      }, 'immediate');
    });
    await new Promise((r) => setTimeout(r, 5));
    expect(order[0]).toBe('immediate'); // not turned into a timer: a JS callback with arguments is not Dawn's
    expect(await promisify(setImmediate)('v')).toBe('v');
  });
});
