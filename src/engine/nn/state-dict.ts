// Module.stateDict() / loadStateDict(), PyTorch's state_dict pair. A state dict maps parameter names
// (namedParameters(), e.g. `layers.0.weight`) to tensors; loading copies values INTO the module's existing parameter
// buffers, so an optimizer holding those parameters keeps working. Everything is checked before anything is written:
// a dict that does not fit throws one StateDictError listing every missing, unexpected or mis-shaped key.

import { runtime } from '../engine';
import { WebgradError, fmtShape } from '../errors';
import { assertLive, Tensor } from '../tensor';

/** Values a state dict may hold: live tensors, or float32 data with its shape (what readSafetensors returns). */
export type StateValue = Tensor | { shape: readonly number[]; data: Float32Array };
export type StateDict = Record<string, StateValue> | Map<string, StateValue>;

export interface LoadStateDictOptions {
  /** Strict (default): the dict must hold every parameter and nothing else. Non-strict: load what matches by name.
   * A shape mismatch is an error either way. */
  strict?: boolean;
}

export interface LoadStateDictResult {
  /** Parameters the dict did not have (non-strict loads only; strict ones throw). */
  missing: string[];
  /** Keys of the dict the module has no parameter for (non-strict loads only). */
  unexpected: string[];
}

/** A state dict that does not fit the module; `problems` lists each key found wrong. */
export class StateDictError extends WebgradError {
  override name = 'StateDictError';
  constructor(
    message: string,
    readonly problems: readonly string[],
  ) {
    super('loadStateDict', message);
  }
}

/** Copies `state` into the parameters `named` (name → tensor), after checking that it fits. */
export function loadStateInto(
  named: [string, Tensor][],
  state: StateDict,
  opts: LoadStateDictOptions = {},
): LoadStateDictResult {
  const strict = opts.strict ?? true;
  const entries = state instanceof Map ? new Map(state) : new Map(Object.entries(state));
  const problems: string[] = [];
  const missing: string[] = [];
  const writes: [Tensor, StateValue][] = [];
  for (const [name, p] of named) {
    const v = entries.get(name);
    if (v === undefined) {
      missing.push(name);
      continue;
    }
    if (v instanceof Tensor) assertLive('loadStateDict', v);
    else if (!(v?.data instanceof Float32Array) || v.data.length !== v.shape.reduce((a, d) => a * d, 1)) {
      problems.push(`"${name}" is neither a tensor nor float32 data matching its shape`);
      continue;
    }
    if (v.shape.length !== p.shape.length || v.shape.some((d, i) => d !== p.shape[i])) {
      problems.push(
        `shape mismatch for "${name}": state dict has ${fmtShape(v.shape)}, module has ${fmtShape(p.shape)}`,
      );
      continue;
    }
    writes.push([p, v]);
  }
  const known = new Set(named.map(([n]) => n));
  const unexpected = [...entries.keys()].filter((k) => !known.has(k));
  if (strict) {
    for (const m of missing) problems.push(`missing from the state dict: "${m}"`);
    for (const u of unexpected) problems.push(`unexpected in the state dict: "${u}"`);
  }
  if (problems.length) {
    throw new StateDictError(
      `state dict does not fit (${problems.length} problem${problems.length > 1 ? 's' : ''}): ${problems.join('; ')}`,
      problems,
    );
  }
  const rt = runtime();
  for (const [p, v] of writes) {
    if (v === p) continue;
    if (v instanceof Tensor) rt.copy(v.buffer, p.buffer, p.size * 4);
    else rt.write(p.buffer, v.data);
  }
  return { missing, unexpected };
}
