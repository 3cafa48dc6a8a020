// "compiling kernels n/m" instead of a silent first step. WebGPU pipelines are made lazily on first dispatch, and on a
// CPU-emulated GPU compiling the few dozen a training step needs takes 15–55 s, all inside the first step. So before
// it, the step runs once as a dry run (runtime.collectPipelines: nothing reaches the GPU) to learn which pipelines it
// needs, and those are compiled asynchronously with a count. The dry run must leave no trace: optimizer state it
// created is dropped, step counts and the global seed sequence are put back, so the numbers are those of a run
// without it.

import { runtime } from '../../engine/engine';
import { manualSeed, seedState } from '../../engine/creation';
import { Tensor } from '../../engine/tensor';
import type { Optimizer } from '../../engine/optim/optimizer';
import type { PipelineSpec } from '../../engine/runtime';

/**
 * Collects the pipelines `step` dispatches (a dry run of it), restores what the dry run changed in `optimizers` and
 * the seed sequence, then compiles them, calling onProgress(done, total). A step that reads a tensor back cannot be
 * dry-run: then nothing is compiled ahead and the first real step compiles as before.
 */
export async function compileAhead(
  step: () => Tensor,
  optimizers: readonly Optimizer[],
  onProgress: (done: number, total: number) => void,
): Promise<void> {
  const steps = optimizers.map((o) => new Map(Object.entries(o.state).map(([name, st]) => [name, st.step])));
  const seed = seedState();
  let specs: PipelineSpec[] = [];
  try {
    specs = runtime().collectPipelines(() => step().dispose());
  } catch {
    specs = [];
  } finally {
    optimizers.forEach((o, i) => restoreSteps(o, steps[i]));
    manualSeed(seed);
  }
  await runtime().compilePipelines(specs, onProgress);
}

/** Puts back each parameter's step count; drops (and frees) the state of parameters that had none before. */
function restoreSteps(o: Optimizer, before: Map<string, number>): void {
  for (const [name, st] of Object.entries(o.state)) {
    const step = before.get(name);
    if (step !== undefined) {
      st.step = step;
      continue;
    }
    for (const v of Object.values(st)) if (v instanceof Tensor) v.dispose();
    delete o.state[name];
  }
}
