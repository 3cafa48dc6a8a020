// float64 CPU references for softmax and logSoftmax along any axis and logsumexp over the last (max-shifted, like the
// kernels).

import type { RefResult } from './reduce.reference';

function rowsOf(shape: number[]): [number, number] {
  if (shape.length === 0) throw new Error('rank 0');
  const c = shape[shape.length - 1];
  return [c === 0 ? 0 : shape.reduce((a, b) => a * b, 1) / c, c];
}

/** log Σ exp over each row of length c starting at `at`. */
function lseRow(x: ArrayLike<number>, at: number, c: number): number {
  let m = -Infinity;
  for (let j = 0; j < c; j++) m = Math.max(m, x[at + j]);
  let s = 0;
  for (let j = 0; j < c; j++) s += Math.exp(x[at + j] - m);
  return m + Math.log(s);
}

export function refLogsumexp(x: ArrayLike<number>, shape: number[], keepdim = false): RefResult {
  const [rows, c] = rowsOf(shape);
  const data = new Float64Array(rows);
  for (let i = 0; i < rows; i++) data[i] = lseRow(x, i * c, c);
  return { data, shape: keepdim ? [...shape.slice(0, -1), 1] : shape.slice(0, -1) };
}

/** (outer, C, inner) of shape around `axis` (negative from the end): element (o, j, i) is at (o·C + j)·inner + i. */
function around(shape: number[], axis: number): [number, number, number] {
  const a = axis < 0 ? axis + shape.length : axis;
  if (a < 0 || a >= shape.length) throw new Error(`axis ${axis} for rank ${shape.length}`);
  const size = (s: number[]) => s.reduce((p, d) => p * d, 1);
  return [size(shape.slice(0, a)), shape[a], size(shape.slice(a + 1))];
}

/** log softmax along `axis` (default the last), max-shifted, each line gathered with its stride. */
export function refLogSoftmax(x: ArrayLike<number>, shape: number[], axis = -1): RefResult {
  const [outer, c, inner] = around(shape, axis);
  const data = new Float64Array(outer * c * inner);
  const line = new Float64Array(c);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const at = (j: number) => (o * c + j) * inner + i;
      for (let j = 0; j < c; j++) line[j] = x[at(j)];
      const l = lseRow(line, 0, c);
      for (let j = 0; j < c; j++) data[at(j)] = line[j] - l;
    }
  }
  return { data, shape: [...shape] };
}

export function refSoftmax(x: ArrayLike<number>, shape: number[], axis = -1): RefResult {
  const r = refLogSoftmax(x, shape, axis);
  return { data: r.data.map(Math.exp), shape: r.shape };
}
