// Once per `vitest run`: bundle the test page, serve it from 127.0.0.1, launch one headless Chromium with WebGPU, print
// the adapter, and hand the browser endpoint and page URL to the test files.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
// @ts-expect-error build.mjs is plain JavaScript
import { buildPages, PAGES } from '../build.mjs';
import { launchBrowser } from '../src/app/node/browser';
import { serveDir } from '../src/app/node/server';
import { tuningQuery } from './page';

declare module 'vitest' {
  interface ProvidedContext {
    wsEndpoint: string;
    baseUrl: string;
    kernelLog: string;
  }
}

/** Kernels of things without a gradient (each tested against its reference by its own tests). */
const NOT_DIFFERENTIABLE = new Set<string>(['adam', 'sgd', 'clip_norm', 'clip_scale', 'sumsq']);

export default async function setup(project: TestProject) {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'webgrad-www-'));
  await buildPages(out, { test: PAGES.test });
  const server = await serveDir(out);
  const launched = await launchBrowser({ log: (s) => console.log(s) });
  try {
    const page = await launched.browser.newPage();
    await page.goto(`${server.url}test.html${tuningQuery()}`);
    await page.waitForFunction('globalThis.harness !== undefined', { timeout: 60_000 });
    const a = (await page.evaluate('globalThis.harness.ready')) as {
      vendor: string;
      architecture: string;
      isFallbackAdapter: boolean;
      description: string;
      tuning: string;
    };
    console.log(
      `webgrad tests: WebGPU adapter ${a.vendor}/${a.architecture}${a.description ? ` (${a.description})` : ''}` +
        `${a.isFallbackAdapter ? ', fallback (CPU-emulated)' : ''}; kernel tuning ${a.tuning}; browser ${launched.executablePath} ${launched.args.join(' ')}`,
    );
    await page.close();
  } catch (e) {
    await launched.close();
    await server.close();
    throw e;
  }
  project.provide('wsEndpoint', launched.browser.wsEndpoint());
  project.provide('baseUrl', server.url);
  const kernelLog = path.join(out, 'kernels-dispatched.txt');
  fs.writeFileSync(kernelLog, '');
  project.provide('kernelLog', kernelLog);
  return async () => {
    // When the whole suite ran (no file filter): every kernels/<family>/*.wgsl must have been dispatched by some test,
    // and every kernel of a differentiable op inside a gradient check (test/page/gradcase.ts: forward and backward of
    // the op alone); the kernels of what has no gradient (optimizers, clipping, filling, random numbers) are listed below.
    const lines = fs.readFileSync(kernelLog, 'utf8').split('\n').filter(Boolean);
    const ran = new Set(lines.filter((l) => l.startsWith('ran ')).map((l) => l.slice(4)));
    const grad = new Set(lines.filter((l) => l.startsWith('grad ')).map((l) => l.slice(5)));
    const all = kernelNames();
    const missing = all.filter((k) => !ran.has(k));
    const differentiable = all.filter((k) => !NOT_DIFFERENTIABLE.has(k));
    const unchecked = differentiable.filter((k) => !grad.has(k));
    // Enforced (npm test sets WEBGRAD_KERNEL_COVERAGE=1) only for a plain `vitest run`, not a selection of files/tests.
    const selection = process.argv.slice(2).filter((a) => a !== 'run');
    if (process.env.WEBGRAD_KERNEL_COVERAGE === '1' && selection.length === 0 && (missing.length || unchecked.length)) {
      await launched.close();
      await server.close();
      // vitest reports an error thrown here ("error during close") but still exits 0, so set the exit code too.
      process.exitCode = 1;
      throw new Error(
        [
          missing.length ? `kernels never dispatched by any test: ${missing.join(', ')}` : '',
          unchecked.length
            ? `kernels of differentiable ops never dispatched by a gradient check: ${unchecked.join(', ')}`
            : '',
        ]
          .filter(Boolean)
          .join('; '),
      );
    }
    console.log(
      `kernel coverage: ${all.length - missing.length}/${all.length} kernel files dispatched by the tests, ` +
        `${differentiable.length - unchecked.length}/${differentiable.length} differentiable ones inside gradient checks` +
        (missing.length ? ` (not run in this selection: ${missing.join(', ')})` : '') +
        (unchecked.length ? ` (not gradient-checked in this selection: ${unchecked.join(', ')})` : ''),
    );
    await launched.close();
    await server.close();
    fs.rmSync(out, { recursive: true, force: true });
  };
}

/**
 * Every kernel, by name: the basename of each kernels/<family>/*.wgsl. kernels/common/ holds includes, not kernels;
 * a .wgsl left at the top of kernels/ still counts, so a kernel outside a family folder cannot escape the check.
 */
function kernelNames(): string[] {
  const root = fileURLToPath(new URL('../kernels/', import.meta.url));
  const files = fs
    .readdirSync(root, { withFileTypes: true })
    .flatMap((e) =>
      e.isDirectory() ? (e.name === 'common' ? [] : fs.readdirSync(path.join(root, e.name))) : [e.name],
    );
  return files.filter((f) => f.endsWith('.wgsl')).map((f) => f.slice(0, -5));
}
