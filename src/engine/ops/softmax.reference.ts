// float64 CPU references for softmax, logSoftmax and logsumexp over the last axis (max-shifted, like the kernels).

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

export function refLogSoftmax(x: ArrayLike<number>, shape: number[]): RefResult {
  const [rows, c] = rowsOf(shape);
  const data = new Float64Array(rows * c);
  for (let i = 0; i < rows; i++) {
    const l = lseRow(x, i * c, c);
    for (let j = 0; j < c; j++) data[i * c + j] = x[i * c + j] - l;
  }
  return { data, shape: [...shape] };
}

export function refSoftmax(x: ArrayLike<number>, shape: number[]): RefResult {
  const r = refLogSoftmax(x, shape);
  return { data: r.data.map(Math.exp), shape: r.shape };
}
