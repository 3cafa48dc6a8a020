// The test page: initialises webgrad on the page's WebGPU device and exposes `harness` for Node-side tests
// (test/page.ts calls into it by name). Every harness call ends with a sync that throws any WebGPU error raised
// while it ran, so an uncaptured validation error fails the test that caused it.

import * as wg from '../../src/app/all';
import { gradcase, gradChecked, type CaseSpec } from './gradcase';
import type { JsonOpTable } from './registry';
import { OP_PAGES, type OpName } from '../ops/pages';
import { SCENARIOS, type JsonScenarioTable, type ScenarioName } from './scenarios';

/** The op table as the page reads it: by the name and with the attrs that arrived as JSON (typed on the Node side). */
const OPS: JsonOpTable = OP_PAGES;
const SCENARIO_TABLE: JsonScenarioTable = SCENARIOS;

/**
 * Runs op `name` on zero tensors of these shapes and, if it throws, reports the error's class, message and whether any
 * GPU work was recorded first. `attrs` may be ill-typed on purpose (test/gradcheck.ts untyped()): the ops check them.
 */
async function tryOp(name: OpName, shapes: number[][], attrs: unknown) {
  const op = OPS[name];
  if (!op) throw new Error(`no page op named ${name}`);
  const rt = wg.runtime();
  return wg.tidyAsync(async () => {
    const xs = shapes.map((s) => wg.zeros(s));
    await rt.sync();
    const before = rt.stats().dispatches;
    try {
      op(xs, attrs, wg);
    } catch (e) {
      const err = e as Error;
      return { threw: true, name: err.name, message: err.message, dispatches: rt.stats().dispatches - before };
    }
    return { threw: false, name: '', message: '', dispatches: rt.stats().dispatches - before };
  });
}

const ready = (async () => {
  // test.html?tuning=gpu runs every test on the GPU profile's default kernels (test/page.ts tuningQuery).
  // In Node (test/node/page.ts) there is no location: the Node side sets globalThis.WEBGRAD_TUNING instead.
  const g = globalThis as { location?: Location; WEBGRAD_TUNING?: string };
  const tuning = g.location ? new URLSearchParams(g.location.search).get('tuning') : g.WEBGRAD_TUNING;
  await wg.init(tuning ? { tuning: tuning as wg.TuningProfile } : {});
  const t = wg.tuning();
  return { ...wg.adapterInfo(), tuning: `${t.profile} (${t.reason})` };
})();

async function guarded<T>(fn: () => Promise<T>): Promise<T> {
  await ready;
  const out = await fn();
  await wg.runtime().sync();
  return out;
}

const harness = {
  ready,
  adapter: () => guarded(async () => wg.adapterInfo()),
  gradcase: (spec: CaseSpec) => guarded(() => gradcase(OPS, spec)),
  tryOp: (name: OpName, shapes: number[][], attrs: unknown) => guarded(() => tryOp(name, shapes, attrs)),
  /** Runs a named scenario (test/page/scenarios.ts): longer in-page programs such as the leak and learning tests. */
  scenario: (name: ScenarioName, args: unknown) =>
    guarded(async () => {
      const s = SCENARIO_TABLE[name];
      if (!s) throw new Error(`no scenario named ${name}`);
      return s(args, wg);
    }),
  stats: () => guarded(async () => wg.runtime().stats()),
  /** Every kernel the page dispatched, and those dispatched inside a gradient check. */
  kernelsDispatched: () =>
    guarded(async () => ({ all: [...wg.runtime().kernelsDispatched], gradChecked: [...gradChecked] })),
};

(globalThis as unknown as { harness: typeof harness; wg: typeof wg }).harness = harness;
(globalThis as unknown as { wg: typeof wg }).wg = wg;
export type Harness = typeof harness;
