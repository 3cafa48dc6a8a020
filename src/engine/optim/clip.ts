// Gradient clipping by global L2 norm (torch.nn.utils.clip_grad_norm_), entirely on the GPU: the norm never visits
// the CPU, so a training loop that clips every step still never waits on a readback.
//
//   sumsq.wgsl       per gradient: partial sums of squares, one per 1024 elements, into one shared partials buffer
//   clip_norm.wgsl   one invocation: norm = √(Σ partials)
//   clip_scale.wgsl  per gradient: g ← g · min(1, maxNorm / (norm + 1e-6)), reading the norm from its buffer
// By default the gradients are first packed into one arena, so "per gradient" is one dispatch for all of them.

import { runtime } from '../engine';
import { check } from '../errors';
import { zeros } from '../creation';
import { grid1d, kernel } from '../runtime';
import { assertLive, empty, Tensor } from '../tensor';
import sumsqSrc from '../../../kernels/optim/sumsq.wgsl';
import clipNormSrc from '../../../kernels/optim/clip_norm.wgsl';
import clipScaleSrc from '../../../kernels/optim/clip_scale.wgsl';
import { arenaLayout, packArena, unpackArena } from './arena';

const SUMSQ = kernel('sumsq', sumsqSrc, {
  params: { n: 'u32', base: 'u32' },
  buffers: { x: 'read', partials: 'read_write' },
});
const CLIP_NORM = kernel('clip_norm', clipNormSrc, {
  params: { count: 'u32' },
  buffers: { partials: 'read', norm: 'read_write' },
});
const CLIP_SCALE = kernel('clip_scale', clipScaleSrc, {
  params: { n4: 'u32', maxNorm: 'f32' },
  buffers: { norm: 'read', g: 'read_write' },
});
const CHUNK4 = 256; // vec4s per partial sum: 1024 elements
const CHUNK = 4 * CHUNK4;

export type Params = Iterable<Tensor> | { parameters(): Tensor[] };

export interface ClipOptions {
  /**
   * Pack the gradients into one arena first (default true): 4 dispatches in all (zero-fill, sums of squares, norm,
   * scale) instead of 2·(gradients) + 1, with the same numbers bit for bit (optim/arena.ts; docs/decisions/optim.md).
   */
  multiTensor?: boolean;
}

/**
 * Scales all gradients in place so that their global L2 norm is at most `maxNorm`, and returns that norm as measured
 * before clipping (a 1-element tensor: read it with `await norm.item()`, or ignore it). Parameters without a gradient
 * are skipped.
 */
export function clipGradNorm(params: Params, maxNorm: number, opts: ClipOptions = {}): Tensor {
  check(Number.isFinite(maxNorm) && maxNorm > 0, 'clipGradNorm', `maxNorm must be a finite number > 0, got ${maxNorm}`);
  const multiTensor = opts.multiTensor ?? true;
  check(typeof multiTensor === 'boolean', 'clipGradNorm', `multiTensor must be a boolean, got ${String(multiTensor)}`);
  const list = 'parameters' in params ? params.parameters() : [...params];
  const grads: Tensor[] = [];
  for (const p of list) {
    assertLive('clipGradNorm', p);
    if (!p.grad) continue;
    assertLive('clipGradNorm', p.grad);
    grads.push(p.grad);
  }
  if (grads.length === 0) return zeros([1]);
  if (!multiTensor) return clipEach(grads, maxNorm);
  // Each gradient starts a new 1024-element chunk, zeros after it: the arena's partial sums are exactly the
  // per-gradient ones, in the same order, so the norm and the scaled gradients are too.
  const layout = arenaLayout(grads, CHUNK);
  const arena = packArena(grads, layout, 'clipGradNorm', true);
  const norm = clipEach([arena], maxNorm);
  unpackArena(arena, grads, layout);
  arena.dispose();
  return norm;
}

/** The three passes over separate gradients (one dispatch each per gradient for sumsq and clip_scale). */
function clipEach(grads: Tensor[], maxNorm: number): Tensor {
  const rt = runtime();
  const count = grads.reduce((c, g) => c + Math.ceil(g.size / CHUNK), 0);
  const partials = empty([Math.max(1, count)], 'clipGradNorm');
  const norm = empty([1], 'clipGradNorm');
  let base = 0;
  for (const g of grads) {
    const parts = Math.ceil(g.size / CHUNK);
    rt.dispatch({
      kernel: SUMSQ,
      constants: { CHUNK4 },
      params: { n: g.size, base },
      buffers: { x: g.buffer, partials: partials.buffer },
      groups: grid1d(parts, 64),
    });
    base += parts;
  }
  rt.dispatch({
    kernel: CLIP_NORM,
    params: { count },
    buffers: { partials: partials.buffer, norm: norm.buffer },
    groups: [1],
  });
  for (const g of grads) {
    const n4 = Math.ceil(g.size / 4);
    rt.dispatch({
      kernel: CLIP_SCALE,
      params: { n4, maxNorm },
      buffers: { norm: norm.buffer, g: g.buffer },
      groups: grid1d(n4, 64),
    });
  }
  partials.dispose(); // its buffer returns to the pool only after this batch is submitted
  return norm;
}
