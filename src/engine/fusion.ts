// The launch fusions of issue 14 (docs/decisions/optim.md): gradients added into an existing gradient by the kernel
// that makes them, GroupedLayerNorm's affine as one kernel each way, activations in the matmul's store, weightedSum
// (a loss's terms) in one launch. Each computes the same numbers as the separate launches it replaces; this one switch
// turns them all off, so that a test or a benchmark can run the engine as it ran before them and compare, bit for bit.

let enabled = true;

/** Turns the launch fusions off or on (default on). */
export function setLaunchFusions(on: boolean): void {
  enabled = on;
}

/** Whether the launch fusions are on. */
export function launchFusions(): boolean {
  return enabled;
}
