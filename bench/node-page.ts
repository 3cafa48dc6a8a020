// `npm run bench -- --runtime node`: the bench's page programs (bench/page.ts, bench/dar-page.ts, bundled for Node by
// bench/run.mjs as <name>-node.mjs) in this process on a Dawn device, behind the part of puppeteer's Browser and Page
// that bench/main.ts uses: newPage, goto, waitForFunction, evaluate of an expression, on, close. tfjs is browser-only
// (stubbed out of the Node bundle: bench/peers/node-stub.ts); onnxruntime-web is tried from its files; jax-js runs its
// WebGPU backend on the same Dawn.

import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'puppeteer';
import { dawnAdapter } from '../src/node/dawn';

/** What bench/main.ts uses of launchBrowser()'s result. */
export interface NodeLaunched {
  browser: Browser;
  executablePath: string;
  args: string[];
  close(): Promise<void>;
}

const viaJson = (v: unknown) => (v === undefined ? v : JSON.parse(JSON.stringify(v)));

/** Dawn's GPU object as navigator.gpu, then pages load their Node bundles from `www`. */
export async function launchNode(www: string): Promise<NodeLaunched> {
  // Dawn quantizes timestamps (to 65536 ns, measured) unless told not to; the bench wants them precise.
  const { gpu, adapter } = await dawnAdapter({ dawnOptions: ['disable-dawn-features=timestamp_quantization'] });
  const g = globalThis as { navigator?: { gpu?: GPU } };
  if (g.navigator) Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
  else g.navigator = { gpu };
  // What a browser page reads for its core count (Node 20 has no navigator of its own): ORT's CPU column uses it.
  if (!('hardwareConcurrency' in g.navigator))
    Object.defineProperty(g.navigator, 'hardwareConcurrency', { value: os.availableParallelism(), configurable: true });
  // jax-js's WebGPU backend reads navigator.userAgent when it loads (a Firefox check); with it and navigator.gpu it
  // runs on Dawn (measured: jax-js 0.1.25, whose README lists Node as wasm-only because Node has no navigator.gpu).
  if (!('userAgent' in g.navigator))
    Object.defineProperty(g.navigator, 'userAgent', { value: `Node.js/${process.version}`, configurable: true });
  // ORT's files, which bench/run.mjs links into www/ort/ (bench/page.ts loads them from there).
  (globalThis as { ORT_BASE?: string }).ORT_BASE = pathToFileURL(path.join(www, 'ort') + path.sep).href;
  const evaluate = async (expression: string) => viaJson(await (0, eval)(expression));
  const page = {
    on: () => page,
    // bench.html → bench-node.mjs: the same program, built for Node. A module runs once per process, so a second
    // page of the same program reuses the first one's device (the browser gives each page a fresh one).
    goto: async (url: string) =>
      void (await import(pathToFileURL(path.join(www, `${path.basename(url, '.html')}-node.mjs`)).href)),
    waitForFunction: async (expression: string) => {
      while (!(await evaluate(expression))) await new Promise((r) => setTimeout(r, 10));
    },
    evaluate,
    close: async () => undefined,
  };
  const info = adapter.info;
  return {
    browser: { newPage: async () => page as unknown as Page } as unknown as Browser,
    executablePath: `none: --runtime node (Dawn, ${info.vendor}/${info.architecture})`,
    args: [],
    close: async () => undefined,
  };
}
