// In-page half of the gradient checks (the other half, with the float64 references, runs in Node: test/gradcheck.ts).
//
// For L = Σ w ⊙ op(x₁, x₂, …) with the test's random weights w, returns
//   - the GPU forward output,
//   - the GPU gradients dL/dxᵢ from backward(),
//   - float32 central finite differences of L computed end to end on the GPU at the requested indices.
// L itself is formed in float64 on the CPU from the GPU output, so the finite differences carry only the op's own
// float32 error, not that of a float32 sum over the output.

import * as wg from '../../src/index';
import type { JsonOpTable } from './registry';
import type { OpName } from '../ops/pages';

export interface CaseInput {
  shape: number[];
  data: number[];
  /** Whether to compute a gradient for this input (default true). */
  grad?: boolean;
}

/** One gradient case, as JSON carries it into the page (test/gradcheck.ts types the attrs for the op). */
export interface CaseSpec {
  op: OpName;
  attrs?: unknown;
  inputs: CaseInput[];
  /** Output weights w (length = output size). */
  weights: number[];
  /** Per input: flat indices at which to take float32 finite differences. */
  fdIndices: number[][];
  /** Relative step for the float32 finite differences. */
  fdEps: number;
}

export interface CaseResult {
  outShape: number[];
  out: number[];
  grads: (number[] | null)[];
  /** Per input: [index, central difference with step h, with step h/2] (float32, on the GPU). */
  fd: [number, number, number][][];
  dispatches: number;
}

/**
 * Kernels dispatched by the forward and backward pass of some gradcase: the Node side (test/page.ts, then
 * test/globalSetup.ts) checks that every differentiable kernel is among them.
 */
export const gradChecked = new Set<string>();

export async function gradcase(ops: JsonOpTable, spec: CaseSpec): Promise<CaseResult> {
  const op = ops[spec.op];
  if (!op) throw new Error(`no page op named ${spec.op}`);
  const rt = wg.runtime();
  const before = rt.stats().dispatches;

  // Forward + backward with gradients of L = Σ w·y: backward from y with w as its seed gradient, so that only the
  // op's own kernels run here, and the kernels that did are recorded as gradient-checked (see gradChecked).
  const outside = new Set(rt.kernelsDispatched);
  rt.kernelsDispatched.clear();
  const { outShape, out, grads } = await wg
    .tidyAsync(async () => {
      const xs = spec.inputs.map((x) => wg.tensor(x.data, x.shape, { requiresGrad: x.grad !== false }));
      const y = op(xs, spec.attrs, wg);
      if (y.size !== spec.weights.length)
        throw new Error(`weights have ${spec.weights.length} entries, output ${y.size}`);
      if (y.requiresGrad) y.backward(wg.tensor(spec.weights, y.shape)); // not for index outputs (argmax)
      const out = Array.from(await y.toArray());
      const grads = await Promise.all(
        xs.map(async (x, i) => (spec.inputs[i].grad === false ? null : Array.from(await x.grad!.toArray()))),
      );
      for (const x of xs) x.grad?.dispose();
      return { outShape: [...y.shape], out, grads };
    })
    .finally(() => {
      for (const k of rt.kernelsDispatched) gradChecked.add(k);
      for (const k of outside) rt.kernelsDispatched.add(k);
    });

  // Float32 finite differences, forward only.
  const lossAt = async (data: Float32Array[]): Promise<number> => {
    const y = wg.noGrad(() =>
      op(
        data.map((d, i) => wg.tensor(d, spec.inputs[i].shape)),
        spec.attrs,
        wg,
      ),
    );
    const vals = await y.toArray();
    let l = 0;
    for (let i = 0; i < vals.length; i++) l += spec.weights[i] * vals[i];
    return l;
  };
  const base = spec.inputs.map((x) => Float32Array.from(x.data));
  // The central difference at step h and at h/2: how far apart they are tells the Node side how much to trust them.
  const central = async (i: number, j: number, h: number) => {
    const x0 = base[i][j];
    const plus = base.map((d) => d.slice());
    const minus = base.map((d) => d.slice());
    plus[i][j] = x0 + h;
    minus[i][j] = x0 - h;
    const lp = await wg.tidyAsync(() => lossAt(plus));
    const lm = await wg.tidyAsync(() => lossAt(minus));
    return (lp - lm) / (plus[i][j] - minus[i][j]); // the float32-rounded step actually taken
  };
  const fd: [number, number, number][][] = [];
  for (let i = 0; i < spec.inputs.length; i++) {
    const rows: [number, number, number][] = [];
    for (const j of spec.fdIndices[i] ?? []) {
      const h = spec.fdEps * Math.max(1, Math.abs(base[i][j]));
      rows.push([j, await central(i, j, h), await central(i, j, h / 2)]);
    }
    fd.push(rows);
  }
  return { outShape, out, grads, fd, dispatches: rt.stats().dispatches - before };
}
