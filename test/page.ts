// Node-side handle on a test page: tests call harness functions in the page by name and assert on the results here.

import fs from 'node:fs';
import puppeteer, { type Browser, type Page } from 'puppeteer';
import { inject } from 'vitest';
import type { Harness } from './page/entry';
import { NODE_RUNTIME, openNodePage } from './node/page';

/** WEBGRAD_TUNING=cpu|gpu runs the page's engine with that kernel tuning (init({ tuning })); unset, the adapter's. */
export const tuningQuery = (): string =>
  process.env.WEBGRAD_TUNING ? `?tuning=${encodeURIComponent(process.env.WEBGRAD_TUNING)}` : '';

type Unwrap<T> = T extends Promise<infer U> ? U : T;

export interface TestPage {
  call<K extends Exclude<keyof Harness, 'ready'>>(
    name: K,
    ...args: Parameters<Harness[K]>
  ): Promise<Unwrap<ReturnType<Harness[K]>>>;
  close(): Promise<void>;
  page: Page;
}

/**
 * Every test page reports the kernels it dispatched ("ran <name>") and those a gradient check dispatched ("grad <name>");
 * globalSetup's teardown checks that every kernel file ran and every differentiable one was gradient-checked.
 */
function recordKernels(k: { all: string[]; gradChecked: string[] }): void {
  const file = inject('kernelLog');
  fs.appendFileSync(file, [...k.all.map((n) => `ran ${n}\n`), ...k.gradChecked.map((n) => `grad ${n}\n`)].join(''));
}

export async function openPage(): Promise<TestPage> {
  if (NODE_RUNTIME) return openNodePage(); // the harness in Node on Dawn (test/node/page.ts)
  const browser: Browser = await puppeteer.connect({
    browserWSEndpoint: inject('wsEndpoint'),
    protocolTimeout: 600_000,
  });
  const page = await browser.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(String((e as Error).message ?? e)));
  page.on('console', (m) => {
    if (m.type() === 'error') pageErrors.push(m.text());
  });
  await page.goto(`${inject('baseUrl')}test.html${tuningQuery()}`);
  await page.waitForFunction('globalThis.harness !== undefined');
  await page.evaluate('globalThis.harness.ready');
  return {
    page,
    async call(name, ...args) {
      // A string expression keeps the test runner's code transforms out of what the page evaluates.
      const out = await page.evaluate(`globalThis.harness[${JSON.stringify(name)}](...${JSON.stringify(args)})`);
      if (pageErrors.length) throw new Error(`page reported errors: ${pageErrors.splice(0).join('\n')}`);
      return out as never;
    },
    async close() {
      recordKernels(
        (await page.evaluate('globalThis.harness.kernelsDispatched()')) as { all: string[]; gradChecked: string[] },
      );
      await page.close();
      browser.disconnect();
    },
  };
}
