// Making tensors: from CPU data, constants, and seeded random numbers generated on the GPU.

import { runtime } from './engine';
import { check, WebgradError, type Shape } from './errors';
import { grid1d, kernel } from './runtime';
import { checkShape, empty, shapeSize, Storage, Tensor } from './tensor';
import { nextSeed } from './seed';
import fillSrc from '../../kernels/creation/fill.wgsl';
import randomSrc from '../../kernels/creation/random.wgsl';

const FILL = kernel('fill', fillSrc, { params: { n4: 'u32', value: 'f32' }, buffers: { y: 'read_write' } });
const RANDOM = kernel('random', randomSrc, {
  params: { n: 'u32', seed: 'u32', a: 'f32', b: 'f32' },
  buffers: { y: 'read_write' },
});

export interface TensorOptions {
  requiresGrad?: boolean;
  name?: string;
}

/** A tensor holding `data` (row-major). Non-finite values are rejected: they almost always mean a bug upstream. */
export function tensor(data: ArrayLike<number>, shape: Shape = [data.length], opts: TensorOptions = {}): Tensor {
  checkShape('tensor', shape);
  check(shapeSize(shape) === data.length, 'tensor', `${data.length} values do not fill the shape`, [shape]);
  const f = data instanceof Float32Array ? data : Float32Array.from(data);
  for (let i = 0; i < f.length; i++) {
    if (!Number.isFinite(f[i]))
      throw new WebgradError('tensor', `non-finite value ${f[i]} at flat index ${i}`, [shape]);
  }
  const t = new Tensor(shape, new Storage(runtime().upload(f, { op: 'tensor', shape }), f.byteLength));
  return withOptions(t, opts);
}

function withOptions(t: Tensor, opts: TensorOptions): Tensor {
  t.requiresGrad = opts.requiresGrad ?? false;
  if (opts.name) t.name = opts.name;
  return t;
}

/** A tensor with every element `value`; like tensor(), a non-finite value is refused. */
export function full(shape: Shape, value: number, opts: TensorOptions = {}): Tensor {
  return filled('full', shape, value, opts);
}

/** A tensor of zeros (full(shape, 0)). */
export const zeros = (shape: Shape, opts: TensorOptions = {}): Tensor => filled('zeros', shape, 0, opts);
/** A tensor of ones (full(shape, 1)). */
export const ones = (shape: Shape, opts: TensorOptions = {}): Tensor => filled('ones', shape, 1, opts);

function filled(op: string, shape: Shape, value: number, opts: TensorOptions): Tensor {
  checkShape(op, shape);
  check(
    typeof value === 'number' && Number.isFinite(value),
    op,
    `value must be a finite number, got ${String(value)}`,
    [shape],
  );
  const y = empty(shape, op);
  fillInto(y, value);
  return withOptions(y, opts);
}

/** Overwrites every element of `y` with `value` (used by optimizers to reset state, by zeroGrad, ...). */
export function fillInto(y: Tensor, value: number): void {
  const n4 = Math.ceil(y.size / 4);
  runtime().dispatch({ kernel: FILL, params: { n4, value }, buffers: { y: y.buffer }, groups: grid1d(n4, 64) });
}

// ----------------------------------------------------------------------------------------------- random

// The global seed sequence lives with the other seed mixers (seed.ts); re-exported here, beside rand and randn.
export { manualSeed, nextSeed, seedState } from './seed';

export interface RandomOptions extends TensorOptions {
  seed?: number;
}

/** Uniform in [low, high). */
export function rand(shape: Shape, opts: RandomOptions & { low?: number; high?: number } = {}): Tensor {
  return random('rand', shape, 0, opts.low ?? 0, opts.high ?? 1, opts);
}

/** Normal with the given mean and standard deviation. */
export function randn(shape: Shape, opts: RandomOptions & { mean?: number; std?: number } = {}): Tensor {
  return random('randn', shape, 1, opts.mean ?? 0, opts.std ?? 1, opts);
}

function random(op: string, shape: Shape, normal: number, a: number, b: number, opts: RandomOptions): Tensor {
  checkShape(op, shape);
  check(Number.isFinite(a) && Number.isFinite(b), op, `parameters must be finite, got ${a}, ${b}`, [shape]);
  const seed = (opts.seed ?? nextSeed()) >>> 0;
  const y = empty(shape, op);
  runtime().dispatch({
    kernel: RANDOM,
    constants: { NORMAL: normal },
    params: { n: y.size, seed, a, b },
    buffers: { y: y.buffer },
    groups: grid1d(y.size, 64),
  });
  return withOptions(y, opts);
}
