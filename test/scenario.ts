// Runs a page scenario (test/page/scenarios*.ts) by name, typed from the page's tables: the name must exist, the args
// must be what the scenario declares, and the result has the scenario's return type as JSON brings it back.

import type { TestPage } from './page';
import type { ScenarioArgs, ScenarioName, ScenarioResult } from './page/scenarios';

/** T after a JSON round trip: typed arrays arrive as objects keyed by index; everything else keeps its shape. */
export type Json<T> = T extends ArrayBufferView ? Record<string, number> : T extends object ? { [P in keyof T]: Json<T[P]> } : T;

/** Args are omitted where the scenario takes none, optional where it takes only optional ones. */
export type ScenarioCallArgs<K extends ScenarioName> = [ScenarioArgs<K>] extends [never] ? [] : {} extends ScenarioArgs<K> ? [args?: ScenarioArgs<K>] : [args: ScenarioArgs<K>];

export function scenario<K extends ScenarioName>(page: TestPage, name: K, ...[args]: ScenarioCallArgs<K>): Promise<Json<ScenarioResult<K>>> {
  // The page ran SCENARIOS[name], whose result this is; `call` cannot know that from a name it takes as a value.
  return page.call('scenario', name, args ?? {}) as Promise<Json<ScenarioResult<K>>>;
}
