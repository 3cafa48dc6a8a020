// Where the code runs, recorded with a run's results: 'node' under Node.js (the engine on Dawn), else 'browser'.
// Asked where the trainer itself runs, so a run records the runtime it had, not the one its launcher assumed.

export type HostRuntime = 'browser' | 'node';

export function hostRuntime(): HostRuntime {
  const g = globalThis as { process?: { versions?: { node?: string } }; document?: unknown };
  return typeof g.process?.versions?.node === 'string' && g.document === undefined ? 'node' : 'browser';
}
