// The part of vitest's API that the Node gradient checks use (test/node/gradcheck.test.ts, test/gradcheck.ts,
// test/page.ts), for bench/gpu/gradcheck.ts: a bundle that runs them with no node_modules on the GPU machine.
// esbuild maps `vitest` to this file there (bench/gpu/pack.mjs). Tests run in order, one at a time, as vitest runs
// one file; a failed expectation throws, which fails that test and the run.

import { isDeepStrictEqual, inspect } from 'node:util';

type Fn = () => unknown;
interface Test {
  name: string;
  fn: Fn;
}

const tests: Test[] = [];
const before: Fn[] = [];
const after: Fn[] = [];
const prefix: string[] = [];
const provided = new Map<string, unknown>();

export function describe(name: string, body: () => void): void {
  prefix.push(name);
  try {
    body();
  } finally {
    prefix.pop();
  }
}
export const it = (name: string, fn: Fn): void => void tests.push({ name: [...prefix, name].join(' > '), fn });
export const test = it;
export const beforeAll = (fn: Fn): void => void before.push(fn);
export const afterAll = (fn: Fn): void => void after.push(fn);

/** vitest's inject(): values the runner provides (the kernel log). */
export function inject(key: string): never {
  if (!provided.has(key)) throw new Error(`inject('${key}'): nothing provided under that key`);
  return provided.get(key) as never;
}
export const provide = (key: string, value: unknown): void => void provided.set(key, value);

class AssertionError extends Error {
  override name = 'AssertionError';
}

function check(ok: boolean, message: string | undefined, what: string): void {
  if (!ok) throw new AssertionError(message ? `${message}: ${what}` : what);
}

const show = (v: unknown) => inspect(v, { depth: 4, breakLength: Infinity });

export function expect(actual: unknown, message?: string) {
  return {
    toBe: (want: unknown) => check(Object.is(actual, want), message, `expected ${show(actual)} to be ${show(want)}`),
    toEqual: (want: unknown) =>
      check(isDeepStrictEqual(actual, want), message, `expected ${show(actual)} to equal ${show(want)}`),
    toContain: (part: unknown) =>
      check(
        (typeof actual === 'string' || Array.isArray(actual)) && actual.includes(part as never),
        message,
        `expected ${show(actual)} to contain ${show(part)}`,
      ),
    toBeLessThan: (x: number) => check((actual as number) < x, message, `expected ${show(actual)} < ${x}`),
    toBeLessThanOrEqual: (x: number) => check((actual as number) <= x, message, `expected ${show(actual)} ≤ ${x}`),
    toBeGreaterThan: (x: number) => check((actual as number) > x, message, `expected ${show(actual)} > ${x}`),
    toBeTruthy: () => check(Boolean(actual), message, `expected ${show(actual)} to be truthy`),
  };
}
expect.fail = (message: string): never => {
  throw new AssertionError(message);
};

/** Runs the collected tests (those whose name contains `filter`, when given); returns the number that failed. */
export async function runTests(log: (s: string) => void, filter?: string): Promise<number> {
  let failed = 0;
  for (const fn of before) await fn();
  try {
    for (const t of tests) {
      if (filter && !t.name.includes(filter)) continue;
      const t0 = performance.now();
      try {
        await t.fn();
        log(`  ✓ ${t.name} (${Math.round(performance.now() - t0)} ms)`);
      } catch (e) {
        failed++;
        log(`  ✗ ${t.name} (${Math.round(performance.now() - t0)} ms)\n      ${String((e as Error).stack ?? e)}`);
      }
    }
  } finally {
    for (const fn of after) await fn();
  }
  return failed;
}
