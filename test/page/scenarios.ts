// Longer in-page programs the Node tests run by name (leak test, learning test, runtime behaviour). Each file's table
// declares every scenario's args; the Node side imports this file's types only (test/scenario.ts), so a misspelt
// name or wrong args fail to compile and the result comes back typed.

import type * as wgType from '../../src/app/all';

/**
 * The shape every file's table satisfies (`satisfies ScenarioTable`). As in ./registry.ts, a method's parameters are
 * bivariant, so a scenario may declare its own args; unannotated args get the type never: a scenario that takes none.
 */
type Scenario = { run(args: never, w: typeof wgType): Promise<unknown> }['run'];
export type ScenarioTable = Record<string, Scenario>;
/** How the page calls a scenario: with whatever JSON arrived (typed on the Node side). */
export type JsonScenarioTable = Readonly<
  Record<string, { run(args: unknown, w: typeof wgType): Promise<unknown> }['run']>
>;

import { SCENARIOS as core } from './scenarios-core';
import { SCENARIOS as train } from './scenarios-train';
import { SCENARIOS as io } from './scenarios-io';
import { SCENARIOS as trainer } from './scenarios-trainer';
import { SCENARIOS as dar } from './scenarios-dar';
import { SCENARIOS as inference } from './scenarios-inference';
import { SCENARIOS as derl } from './scenarios-derl';
import { SCENARIOS as runtime } from './scenarios-runtime';
import { SCENARIOS as grouped } from './scenarios-grouped';
import { SCENARIOS as compile } from './scenarios-compile';
import { SCENARIOS as view } from './scenarios-view';
import { SCENARIOS as bert } from './scenarios-bert';
import { SCENARIOS as textbert } from './scenarios-textbert';
import { SCENARIOS as probes } from './scenarios-probes';

export const SCENARIOS = {
  ...core,
  ...train,
  ...io,
  ...dar,
  ...trainer,
  ...inference,
  ...derl,
  ...runtime,
  ...grouped,
  ...compile,
  ...view,
  ...bert,
  ...textbert,
  ...probes,
} satisfies ScenarioTable;

type Scenarios = typeof SCENARIOS;
export type ScenarioName = keyof Scenarios;
/** What scenario K takes (never: nothing) and what it resolves to, before the JSON trip out of the page. */
export type ScenarioArgs<K extends ScenarioName> = Scenarios[K] extends (args: infer A, w: never) => unknown
  ? A
  : never;
export type ScenarioResult<K extends ScenarioName> = Scenarios[K] extends (args: never, w: never) => Promise<infer R>
  ? R
  : never;
