// Scenarios for the demo's 3D view: the PCA it computes on the GPU (src/app/eval/pca.ts) on data from the Node side,
// which checks the result against a float64 eigen-decomposition (test/pca.test.ts).

import type * as wgType from '../../src/app/all';
import { fitPca, projectPca } from '../../src/app/eval/pca';
import type { ScenarioTable } from './scenarios';

type W = typeof wgType;

export const SCENARIOS = {
  /** fitPca on x (n, d) given row-major: the basis (d, k) row-major, the variances and the projections (n, k). */
  async pcaFit(args: { x: number[]; n: number; d: number; k: number }, w: W) {
    const x = w.tensor(args.x, [args.n, args.d]);
    const before = w.memory().liveBuffers;
    const fit = await fitPca(x, args.k);
    const p = projectPca(fit, x);
    const out = {
      basis: Array.from(await fit.basis.toArray()),
      variances: fit.variances,
      projection: Array.from(await p.toArray()),
    };
    p.dispose();
    fit.dispose();
    const leaked = w.memory().liveBuffers - before;
    x.dispose();
    let badInput = '';
    try {
      await fitPca(w.zeros([4]), 1);
    } catch (e) {
      badInput = `${(e as Error).name}: ${(e as Error).message}`;
    }
    return { ...out, leaked, badInput };
  },
} satisfies ScenarioTable;
