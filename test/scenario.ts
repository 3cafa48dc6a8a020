// Runs a page scenario (test/page/scenarios*.ts) by name, typed from the page's tables: the name must exist, the args
// must be what the scenario declares, and the result has the scenario's return type. Results cross as JSON, so
// scenarios return plain data (arrays, not typed arrays; NaN and ±Infinity arrive as null).

import type { TestPage } from './page';
import type { ScenarioArgs, ScenarioName, ScenarioResult } from './page/scenarios';

/** Args are omitted where the scenario takes none, optional where it takes only optional ones. */
export type ScenarioCallArgs<K extends ScenarioName> = [ScenarioArgs<K>] extends [never]
  ? []
  : Record<never, never> extends ScenarioArgs<K>
    ? [args?: ScenarioArgs<K>]
    : [args: ScenarioArgs<K>];

export function scenario<K extends ScenarioName>(
  page: TestPage,
  name: K,
  ...[args]: ScenarioCallArgs<K>
): Promise<ScenarioResult<K>> {
  // The page ran SCENARIOS[name], whose result this is; `call` cannot know that from a name it takes as a value.
  return page.call('scenario', name, args ?? {}) as Promise<ScenarioResult<K>>;
}
