// The test harness (test/page/entry.ts) in this Node process on a Dawn device: the same TestPage as test/page.ts gives
// for a Chromium page, selected by WEBGRAD_RUNTIME=node (vitest.node.config.ts sets it). Calls go through JSON both
// ways, as they do through the DevTools protocol, so a test sees the same values in either runtime.

import fs from 'node:fs';
import type { Page } from 'puppeteer';
import { inject } from 'vitest';
import { dawnAdapter } from '../../src/node/dawn';
import type { Harness } from '../page/entry';
import type { TestPage } from '../page';

export const NODE_RUNTIME = process.env.WEBGRAD_RUNTIME === 'node';

let loaded: Promise<Harness> | null = null;

/**
 * Dawn's GPU object becomes navigator.gpu, as a browser page has it, before the harness module runs: its init() then
 * takes the Dawn device unchanged. One harness per test file (vitest gives each file its own module graph).
 */
function loadHarness(): Promise<Harness> {
  loaded ??= (async () => {
    const { gpu } = await dawnAdapter();
    const g = globalThis as { navigator?: { gpu?: GPU } };
    if (g.navigator) Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
    else g.navigator = { gpu };
    (globalThis as { WEBGRAD_TUNING?: string }).WEBGRAD_TUNING = process.env.WEBGRAD_TUNING;
    await import('../page/entry');
    const harness = (globalThis as unknown as { harness: Harness }).harness;
    await harness.ready;
    return harness;
  })();
  return loaded;
}

const viaJson = <T>(v: T): T => (v === undefined ? v : JSON.parse(JSON.stringify(v)));

/** Evaluates an expression in this process's global scope (where the harness put `harness` and `wg`), like page.evaluate. */
const evaluate = async (expression: string): Promise<unknown> => viaJson(await (0, eval)(expression));

export async function openNodePage(): Promise<TestPage> {
  const harness = await loadHarness();
  return {
    // What tests use of a puppeteer Page: evaluate(expression) (test/gradcheck.ts, a few op tests).
    page: { evaluate } as unknown as Page,
    async call(name, ...args) {
      const fn = harness[name] as (...a: unknown[]) => Promise<unknown>;
      return viaJson(await fn(...viaJson(args))) as never;
    },
    async close() {
      const k = await harness.kernelsDispatched();
      fs.appendFileSync(
        inject('kernelLog'),
        [...k.all.map((n) => `ran ${n}\n`), ...k.gradChecked.map((n) => `grad ${n}\n`)].join(''),
      );
    },
  };
}
