// NumPy broadcasting: shapes are aligned at their last axis; an axis of size 1 (or a missing leading axis) is
// repeated to match the other shape. Kernels see a broadcast input as ordinary row-major strides with a 0 stride on
// every repeated axis, so "read element (i, j, k)" is the same dot product for broadcast and plain inputs.

import { check, type Shape } from './errors';

/** The shape of `a ⊙ b` under broadcasting; throws WebgradError(op, …, [a, b]) when they do not broadcast. */
export function broadcastShapes(op: string, a: Shape, b: Shape): number[] {
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let i = 1; i <= rank; i++) {
    const da = a.length - i >= 0 ? a[a.length - i] : 1;
    const db = b.length - i >= 0 ? b[b.length - i] : 1;
    check(da === db || da === 1 || db === 1, op, `shapes do not broadcast (axis ${-i}: ${da} vs ${db})`, [a, b]);
    out[rank - i] = da === 1 ? db : da;
  }
  return out;
}

/** Row-major strides of a contiguous tensor of `shape` (in elements). */
export function contiguousStrides(shape: Shape): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    s[d] = acc;
    acc *= shape[d];
  }
  return s;
}

/**
 * Strides that read a contiguous tensor of `inShape` as if it had `outShape` (which it must broadcast to): one per
 * axis of `outShape`, 0 on the axes where the input is repeated.
 */
export function broadcastStrides(inShape: Shape, outShape: Shape): number[] {
  const own = contiguousStrides(inShape);
  const lead = outShape.length - inShape.length;
  return outShape.map((_, d) => (d < lead || inShape[d - lead] === 1 ? 0 : own[d - lead]));
}

/** The axes of `outShape` that broadcasting repeated `inShape` along, i.e. the axes its gradient is summed over. */
export function broadcastAxes(inShape: Shape, outShape: Shape): number[] {
  const lead = outShape.length - inShape.length;
  const axes: number[] = [];
  for (let d = 0; d < outShape.length; d++) {
    if (d < lead || (inShape[d - lead] === 1 && outShape[d] !== 1)) axes.push(d);
  }
  return axes;
}

/**
 * Merges neighbouring axes that every stride list walks as one (stride[d] = stride[d+1]·shape[d+1] in all of them)
 * and drops axes of size 1, so a (64, 128, 3) + (3) add becomes a 2-D loop and kernels do less index math.
 * Returns at least one axis.
 */
export function collapseAxes(shape: Shape, strides: number[][]): { shape: number[]; strides: number[][] } {
  const outShape: number[] = [];
  const outStrides: number[][] = strides.map(() => []);
  for (let d = 0; d < shape.length; d++) {
    if (shape[d] === 1) continue;
    const last = outShape.length - 1;
    if (last >= 0 && strides.every((s, k) => outStrides[k][last] === s[d] * shape[d])) {
      // The previous kept axis is the outer part of this one: fold them into one longer axis.
      outShape[last] *= shape[d];
      strides.forEach((s, k) => (outStrides[k][last] = s[d]));
    } else {
      outShape.push(shape[d]);
      strides.forEach((s, k) => outStrides[k].push(s[d]));
    }
  }
  if (outShape.length === 0) return { shape: [1], strides: strides.map(() => [0]) };
  return { shape: outShape, strides: outStrides };
}
