// lstm: PyTorch's nn.LSTM (batch_first) as one autograd op: any number of layers, one or two directions.
//
//   x (B, T, I) → output (B, T, D·H), h (L·D, B, H), c (L·D, B, H);  optional h0, c0 (L·D, B, H) (zeros otherwise)
//   gates (i, f, g, o) = x_t·W_ihᵀ + b_ih + h_{t−1}·W_hhᵀ + b_hh;   c_t = σ(f)⊙c_{t−1} + σ(i)⊙tanh(g);
//   h_t = σ(o)⊙tanh(c_t).   The reverse direction runs t = T−1 … 0; the output is [forward, backward] on features.
//
// Per layer:
//   1. x·W_ihᵀ for every time step and both directions: ONE matmul, (B·T, I) × (D, I, 4H)ᵀ → (D, B·T, 4H).
//   2. The recurrence: both directions in the same dispatch (direction = workgroup y). Kernels
//      (kernels/lstm/lstm_tiled*.wgsl) add W_hh·h_{t−1} and the biases to the projection, apply the gates and save the
//      activated gates (over the projection, in place), every cell state and the h each step started from.
//      Rungs: 'naive' (one invocation per unit, one dispatch per step), 'tiled' (16 rows × 4 units × 4 gates per
//      invocation, one dispatch per step) and 'looped' (the tiled kernel running all T steps in one dispatch: one
//      workgroup per 16 rows of a direction holds every unit of them, with a storage barrier per step). At DAR's
//      shape (B = 64, T = 8, I = 128, H = 64 × 2) looped measured about 5 % faster than tiled, naive 4-5× slower.
//      'gemm' (the GPU profile's, for B·H ≥ GEMM_MIN_ROWS_UNITS): the biases join the input projection's GEMM; then
//      per step one GEMM h_{t−1}·W_hhᵀ on the 64×64 workgroup tile of matmul's 'shared' rung (both directions as its
//      batch) and one fused gate kernel (kernels/lstm/lstm_gemm.wgsl) over every (direction, row, unit).
//   3. Backward, BPTT in reverse processing order in gather form (kernels/lstm/lstm_grad_tiled*.wgsl, same rungs, tiles of
//      16 rows × 16 units): per step the gate gradients dG, with dh_{t−1} = dG·W_hh gathered by each unit (no
//      atomics); then every weight gradient over all steps at once as matmuls: dW_ih = dGᵀ·x, dW_hh = dGᵀ·h_prev,
//      db = Σ dG, dx = Σ_d dG_d·W_ih,d. The 'gemm' rung runs, per step, a fused gate-gradient kernel
//      (lstm_grad_gemm.wgsl) and then dh_{t−1} = dG_t·W_hh as a GEMM on the workgroup tile; its matmuls all run 'shared'.
//
// Autograd: one tape node for the whole stack on a packed tensor [output | h | c]; output, h and c are slices of it,
// so one backward pass sees all three incoming gradients at once (dL/dh_N and dL/dc_N enter at the last step).

import { runtime } from '../engine';
import { check, fmtShape, type Shape } from '../errors';
import { kernel, type ContractDecl } from '../runtime';
import { assertLive, empty, noGrad, record, shapeSize, Tensor } from '../tensor';
import { zeros } from '../creation';
import { pickRung } from '../tuning';
import { add } from './elementwise';
import { sharedGemm } from './gemm64';
import { matmul, type MatmulOptions } from './matmul';
import { sum } from './reduce';
import { reshape, slice } from './shape';
import forwardSrc from '../../../kernels/lstm/lstm_tiled.wgsl';
import forwardNaiveSrc from '../../../kernels/lstm/lstm_naive.wgsl';
import backwardSrc from '../../../kernels/lstm/lstm_grad_tiled.wgsl';
import backwardNaiveSrc from '../../../kernels/lstm/lstm_grad_naive.wgsl';
import gatesSrc from '../../../kernels/lstm/lstm_gemm.wgsl';
import gateGradsSrc from '../../../kernels/lstm/lstm_grad_gemm.wgsl';

// Each rung of a direction keeps the same contract.
const FORWARD_DECL: ContractDecl = {
  params: { B: 'u32', T: 'u32', H: 'u32', D: 'u32', s0: 'u32', steps: 'u32', lOff: 'u32', half: 'u32' },
  buffers: {
    rec: 'read',
    init: 'read',
    gates: 'read_write',
    cs: 'read_write',
    hprev: 'read_write',
    out: 'read_write',
    state: 'read_write',
  },
};
const BACKWARD_DECL: ContractDecl = {
  params: { B: 'u32', T: 'u32', H: 'u32', D: 'u32', q0: 'u32', steps: 'u32', lOff: 'u32', half: 'u32', gsOff: 'u32' },
  buffers: {
    rec: 'read',
    gates: 'read',
    cs: 'read',
    gOut: 'read',
    gState: 'read',
    dG: 'read_write',
    dInit: 'read_write',
  },
};
const FORWARD = kernel('lstm_tiled', forwardSrc, FORWARD_DECL);
const FORWARD_NAIVE = kernel('lstm_naive', forwardNaiveSrc, FORWARD_DECL);
const BACKWARD = kernel('lstm_grad_tiled', backwardSrc, BACKWARD_DECL);
const BACKWARD_NAIVE = kernel('lstm_grad_naive', backwardNaiveSrc, BACKWARD_DECL);
// The 'gemm' rung's fused gate kernels, one step per dispatch between the per-step GEMMs.
const GATES = kernel('lstm_gemm', gatesSrc, {
  params: { B: 'u32', T: 'u32', H: 'u32', D: 'u32', s: 'u32', lOff: 'u32', half: 'u32' },
  buffers: {
    rh: 'read',
    init: 'read',
    gates: 'read_write',
    cs: 'read_write',
    hprev: 'read_write',
    out: 'read_write',
    state: 'read_write',
    hcur: 'read_write',
  },
});
const GATE_GRADS = kernel('lstm_grad_gemm', gateGradsSrc, {
  params: { B: 'u32', T: 'u32', H: 'u32', D: 'u32', s: 'u32', lOff: 'u32', half: 'u32', gsOff: 'u32' },
  buffers: {
    gates: 'read',
    cs: 'read',
    gOut: 'read',
    gState: 'read',
    dhRec: 'read',
    dG: 'read_write',
    dGcur: 'read_write',
    dInit: 'read_write',
  },
});

/** The rungs of the recurrence kernels: the cpu profile's, slowest first, then the gpu profile's 'gemm'. */
export type LstmKernel = 'naive' | 'tiled' | 'looped' | 'gemm';
export const LSTM_KERNELS: readonly LstmKernel[] = ['naive', 'tiled', 'looped', 'gemm'];

/**
 * The GPU profile runs 'gemm' from this B·H on (below it, 'looped'): 'looped' keeps ⌈B/16⌉·D workgroups of
 * ≤ 64 invocations for the whole sequence, B·H/64·D invocations in all, so at B·H = 4096 (DAR's CLUB at `paper`,
 * B = 64, H = 64) one looped dispatch fills well under one of a GPU's ~100 compute units, while 'gemm' pays two
 * dispatches per step to spread each step over B·4H·D outputs. Below it the per-step dispatches cost more than the
 * idle chip (docs/decisions/lstm.md).
 */
export const GEMM_MIN_ROWS_UNITS = 4096;

/** The rung lstm runs when its caller names none: the tuning profile's, by B·H. */
export function defaultLstmKernel(B: number, H: number): LstmKernel {
  return pickRung(runtime().tuning, { cpu: 'looped', gpu: B * H >= GEMM_MIN_ROWS_UNITS ? 'gemm' : 'looped' });
}

export interface LstmOptions {
  /** Stacked layers (default 1): layer l > 0 reads layer l − 1's output sequence. */
  numLayers?: number;
  /** Run a reverse direction too (default false); weights then alternate forward, reverse per layer. */
  bidirectional?: boolean;
  /** Which recurrence kernel runs, forward and backward (default: the tuning profile's, defaultLstmKernel). */
  kernel?: LstmKernel;
}

/**
 * The initial state, an input like x rather than a setting, so it is its own argument, as in PyTorch's
 * lstm(input, (h0, c0)): the same object for lstm(x, weights, opts, state) and LSTM.forward(x, state).
 */
export interface LstmState {
  /** Initial hidden state (L·D, B, H); zeros when absent. */
  h0?: Tensor | null;
  /** Initial cell state (L·D, B, H); zeros when absent. */
  c0?: Tensor | null;
}

export interface LstmResult {
  /** (B, T, D·H): the last layer's h at every step, [forward, reverse] on the feature axis. */
  output: Tensor;
  /** (L·D, B, H): each layer's and direction's h after its last step (time T−1 forward, time 0 reverse). */
  h: Tensor;
  /** (L·D, B, H): the same for the cell state. */
  c: Tensor;
}

const OPTION_KEYS = ['numLayers', 'bidirectional', 'kernel'];
const STATE_KEYS = ['h0', 'c0'];
/** Largest B·H: the naive rung runs one invocation per (row, unit) in ≤ 65535 workgroups of 64. */
const MAX_ROWS_UNITS = 65535 * 64;

/** PyTorch's parameter names in flat order: per layer, per direction, weight_ih, weight_hh[, bias_ih, bias_hh]. */
export function lstmWeightNames(numLayers: number, bidirectional: boolean, bias = true): string[] {
  const names: string[] = [];
  for (let l = 0; l < numLayers; l++) {
    for (let d = 0; d < (bidirectional ? 2 : 1); d++) {
      const kinds = bias ? ['weight_ih', 'weight_hh', 'bias_ih', 'bias_hh'] : ['weight_ih', 'weight_hh'];
      for (const k of kinds) names.push(`${k}_l${l}${d ? '_reverse' : ''}`);
    }
  }
  return names;
}

/**
 * A multi-layer, optionally bidirectional LSTM over x (B, T, I), batch first, with PyTorch's semantics; see the top
 * of this file. `weights` are in PyTorch's flat order (lstmWeightNames): for each layer and direction, weight_ih
 * (4H, I or D·H), weight_hh (4H, H) and optionally bias_ih, bias_hh (4H) — all layers with biases or none.
 * Gradients reach x, h0, c0 and every weight.
 */
export function lstm(x: Tensor, weights: readonly Tensor[], opts: LstmOptions = {}, state: LstmState = {}): LstmResult {
  return lstmOp('lstm', x, weights, opts, state);
}

interface Dims {
  B: number;
  T: number;
  H: number;
  L: number;
  D: number;
  /** L·D·B·H: the size of h0, c0, h and c. */
  half: number;
}

/** What the backward pass of one layer needs from its forward pass. */
interface Saved {
  input: Tensor; // (B, T, I_l): x, or the previous layer's output
  wIh: Tensor; // (D, 4H, I_l), the directions' weight_ih stacked
  rec: Tensor; // [W_hh (D, 4H, H) | b_ih (D, 4H) | b_hh (D, 4H)]; W_hh alone on the 'gemm' rung
  gates: Tensor; // (D, B·T, 4H) activated i, f, g, o
  cs: Tensor; // (D, B, T+1, H) cell states in processing order, slot 0 = c0
  hprev: Tensor; // (D, B·T, H) the h each step started from
}

/** lstm() under another op name (the LSTM module's errors name the module). */
export function lstmOp(
  op: string,
  x: Tensor,
  weights: readonly Tensor[],
  opts: LstmOptions = {},
  state: LstmState = {},
): LstmResult {
  const { dims, bias, rung, h0, c0 } = validate(op, x, weights, opts, state);
  const { B, T, H, L, D, half } = dims;
  const nOut = B * T * D * H;
  const rt = runtime();
  // The 'gemm' rung runs every product of the op on matmul's workgroup tile, whatever the profile.
  const mm: MatmulOptions = rung === 'gemm' ? { kernel: 'shared' } : {};

  // packed = [output (B, T, D·H) | h (L·D, B, H) | c (L·D, B, H)]: the one tensor the tape node sits on.
  const packed = empty([nOut + 2 * half], 'lstm');
  const saved: Saved[] = [];
  noGrad(() => {
    const init = packInit(h0, c0, half); // [h0 | c0]
    const state = empty([2 * half], 'lstm'); // [h | c], written by each layer's last step
    let input = x;
    for (let l = 0; l < L; l++) {
      const per = bias ? 4 : 2;
      const w = (d: number, k: number) => weights[(l * D + d) * per + k];
      const inL = input.shape[2];
      const wIh = stackDirs(D, (d) => w(d, 0), [D, 4 * H, inL]);
      const x2 = input.view([B * T, inL]);
      let rec: Tensor;
      let gates: Tensor; // (D, B·T, 4H) = x·W_ihᵀ, both directions
      if (rung === 'gemm') {
        // Only W_hh (D, 4H, H) is left to the recurrence: b_ih + b_hh join the projection's GEMM as its bias.
        rec = stackDirs(D, (d) => w(d, 1), [D, 4 * H, H]);
        const bsum = bias ? biasSum(D, 4 * H, w) : null;
        gates = matmul(x2, wIh, { transB: true, ...mm, bias: bsum });
        bsum?.dispose();
      } else {
        rec = packRec(dims, (d) => w(d, 1), bias ? (d) => w(d, 2) : null, bias ? (d) => w(d, 3) : null);
        gates = matmul(x2, wIh, { transB: true });
      }
      x2.dispose();
      const cs = empty([D, B, T + 1, H], 'lstm');
      const hprev = empty([D, B * T, H], 'lstm');
      const out = l === L - 1 ? packed : empty([B, T, D * H], 'lstm');
      recurrence(rung, dims, l, [rec, init, gates, cs, hprev, out, state]);
      saved.push({ input, wIh, rec, gates, cs, hprev });
      input = out;
    }
    rt.copy(state.buffer, packed.buffer, 2 * half * 4, 0, nOut * 4);
    state.dispose();
    init.dispose();
  });

  const inputs = [x, ...(h0 ? [h0] : []), ...(c0 ? [c0] : []), ...weights];
  record(packed, op, inputs, (gy, needs) => {
    const [needX, ...rest] = needs;
    const needH0 = h0 ? rest.shift()! : false;
    const needC0 = c0 ? rest.shift()! : false;
    const needW = rest; // per weight, flat order
    const per = bias ? 4 : 2;
    const gW: (Tensor | null)[] = weights.map(() => null);
    const dInit = empty([2 * half], 'lstm'); // [dh0 | dc0]
    let gOut: Tensor = gy; // dL/d(layer output): the head of gy for the last layer
    let gX: Tensor | null = null;
    for (let l = L - 1; l >= 0; l--) {
      const s = saved[l];
      const needs = (k: number) => [0, 1].slice(0, D).some((d) => needW[(l * D + d) * per + k]);
      const dG = empty([D, B * T, 4 * H], 'lstm');
      bptt(rung, dims, l, nOut, [s.rec, s.gates, s.cs, gOut, gy, dG, dInit]);
      const inL = s.input.shape[2];
      const put = (k: number, grads: Tensor[]) => grads.forEach((g, d) => (gW[(l * D + d) * per + k] = g));
      if (needs(0)) {
        const x2 = s.input.view([B * T, inL]);
        put(0, splitDirs(matmul(dG, x2, { transA: true, ...mm }), [4 * H, inL])); // dW_ih = dGᵀ·x   (D, 4H, I_l)
        x2.dispose();
      }
      if (needs(1)) put(1, splitDirs(matmul(dG, s.hprev, { transA: true, ...mm }), [4 * H, H])); // dW_hh = dGᵀ·h_prev
      if (bias && (needs(2) || needs(3))) {
        const db = splitDirs(sum(dG, 1), [4 * H]); // db_ih = db_hh = Σ_{b,t} dG
        put(2, db);
        put(3, db.map(copyOf));
      }
      const dx = l > 0 || needX ? inputGrad(dG, s.wIh, [B, T, inL], mm) : null; // dL/d(layer input)
      dG.dispose();
      if (gOut !== gy) gOut.dispose();
      if (l === 0) gX = dx;
      else gOut = dx!;
    }
    const dh0 = needH0 ? part(dInit, 0, [L * D, B, H]) : null;
    const dc0 = needC0 ? part(dInit, half, [L * D, B, H]) : null;
    dInit.dispose();
    return [gX, ...(h0 ? [dh0] : []), ...(c0 ? [dc0] : []), ...gW.map((g, i) => (needW[i] ? g : (g?.dispose(), null)))];
  });
  if (!packed.node) {
    for (const s of saved) {
      for (const t of [s.wIh, s.rec, s.gates, s.cs, s.hprev]) t.dispose();
      if (s.input !== x) s.input.dispose();
    }
  }

  const unpack = (start: number, end: number, shape: Shape): Tensor => {
    const flat = slice(packed, 0, start, end);
    const y = reshape(flat, shape);
    if (!y.node) flat.dispose(); // no tape: y's view keeps the storage
    return y;
  };
  const result = {
    output: unpack(0, nOut, [B, T, D * H]),
    h: unpack(nOut, nOut + half, [L * D, B, H]),
    c: unpack(nOut + half, nOut + 2 * half, [L * D, B, H]),
  };
  if (!packed.node) packed.dispose();
  return result;
}

// ------------------------------------------------------------------------------------------------ validation

function validate(op: string, x: Tensor, weights: readonly Tensor[], opts: LstmOptions, state: LstmState) {
  check(opts !== null && typeof opts === 'object', op, `options must be an object, got ${String(opts)}`);
  for (const key of Object.keys(opts)) {
    // h0 / c0 were options once; say where they went rather than "unknown option".
    check(
      !STATE_KEYS.includes(key),
      op,
      `${key} is part of the initial state, not an option: pass lstm(x, weights, opts, { h0, c0 }), as LSTM.forward(x, { h0, c0 })`,
    );
    check(OPTION_KEYS.includes(key), op, `unknown option ${key} (options are ${OPTION_KEYS.join(', ')})`);
  }
  check(
    state !== null && typeof state === 'object' && !(state instanceof Tensor),
    op,
    'state must be an object { h0?, c0? }',
  );
  for (const key of Object.keys(state)) {
    check(STATE_KEYS.includes(key), op, `unknown state ${key} (the initial state is { h0?, c0? })`);
  }
  const { numLayers: L = 1, bidirectional = false, kernel: asked } = opts;
  const { h0 = null, c0 = null } = state;
  check(Number.isInteger(L) && L >= 1, op, `numLayers must be a positive integer, got ${String(L)}`);
  check(typeof bidirectional === 'boolean', op, `bidirectional must be a boolean, got ${String(bidirectional)}`);
  check(
    asked === undefined || LSTM_KERNELS.includes(asked),
    op,
    `kernel must be one of ${LSTM_KERNELS.join(', ')}, got ${String(asked)}`,
  );
  check(Array.isArray(weights), op, 'weights must be an array of tensors (PyTorch flat order)');
  assertLive(op, x, ...weights, ...(h0 ? [h0] : []), ...(c0 ? [c0] : []));
  const D = bidirectional ? 2 : 1;
  const all = [x.shape, ...weights.map((w) => w.shape)];
  check(
    weights.length === 4 * L * D || weights.length === 2 * L * D,
    op,
    `expected ${4 * L * D} weights (weight_ih, weight_hh, bias_ih, bias_hh per layer and direction) or ${2 * L * D} ` +
      `without biases for numLayers ${L}${bidirectional ? ', bidirectional' : ''}, got ${weights.length}`,
    all,
  );
  const bias = weights.length === 4 * L * D;
  check(x.rank === 3, op, `x must have rank 3 (batch, time, features), got rank ${x.rank}`, [x.shape]);
  const [B, T, I] = x.shape;
  check(
    B >= 1 && T >= 1 && I >= 1,
    op,
    `x must have a non-empty batch, time and feature axis, got ${fmtShape(x.shape)}`,
    [x.shape],
  );

  const names = lstmWeightNames(L, bidirectional, bias);
  const whh = weights[1];
  check(
    whh.rank === 2 && whh.shape[1] >= 1 && whh.shape[0] === 4 * whh.shape[1],
    op,
    `weight_hh_l0 must be (4·hidden, hidden), got ${fmtShape(whh.shape)}`,
    [whh.shape],
  );
  const H = whh.shape[1];
  const per = bias ? 4 : 2;
  weights.forEach((w, i) => {
    const l = Math.floor(i / (per * D));
    const k = i % per;
    const want = k === 0 ? [4 * H, l === 0 ? I : D * H] : k === 1 ? [4 * H, H] : [4 * H];
    const what =
      k === 0 && l === 0 ? ` (x has ${I} input features)` : k === 0 ? ` (layer ${l - 1} gives ${D * H} features)` : '';
    check(
      w.rank === want.length && w.shape.every((n: number, a: number) => n === want[a]),
      op,
      `${names[i]} must be ${fmtShape(want)}${what}, got ${fmtShape(w.shape)}`,
      [x.shape, w.shape],
    );
  });
  for (const [name, s] of [
    ['h0', h0],
    ['c0', c0],
  ] as const) {
    if (!s) continue;
    const want = [L * D, B, H];
    check(
      s.rank === 3 && s.shape.every((n, a) => n === want[a]),
      op,
      `${name} must be (numLayers·directions, batch, hidden) = ${fmtShape(want)}, got ${fmtShape(s.shape)}`,
      [x.shape, s.shape],
    );
  }
  check(B * H <= MAX_ROWS_UNITS, op, `batch·hidden above ${MAX_ROWS_UNITS} is not supported`, [x.shape]);
  const dims: Dims = { B, T, H, L, D, half: L * D * B * H };
  return { dims, bias, rung: asked ?? defaultLstmKernel(B, H), h0, c0 };
}

// ------------------------------------------------------------------------------------------------ kernels

/** Batch rows per workgroup (and per invocation) of the tiled forward and backward kernels. */
const FWD_ROWS = 16;
const BWD_ROWS = 16;

/** Steps per dispatch of the looped rung: long sequences run as several dispatches, none of them very long. */
const MAX_LOOP_STEPS = 32;

/** Invocations per workgroup of the tiled kernels: one per block of 4 (forward) or 16 (backward) units, at most 64. */
const wgFor = (H: number): number => Math.min(64, Math.ceil(H / 4));
const wgBackFor = (H: number): number => Math.min(64, Math.ceil(H / 16));
/**
 * The backward kernel's config: with fewer than 4 blocks of 16 units (H ≤ 48; DAR's CLUB LSTM has H = 16) each of 4
 * invocations takes 4 of the workgroup's 16 rows and all their units, so a whole SIMD group works instead of 1–3
 * lanes; otherwise one invocation per unit block of all 16 rows. Measured at DAR small (B 32, T 8, H 16, both
 * directions): 3.5 → 1.2 ms per backward dispatch.
 */
const backConfig = (H: number): Record<string, number> =>
  Math.ceil(H / 16) < 4 ? { WG: 4, RB: 4 } : { WG: wgBackFor(H), RB: 16 };

/**
 * The forward recurrence of layer l, all T steps, both directions.
 * bufs: rec, init, gates (in: x·W_ihᵀ, out: activated), cs, hprev, out, state (see kernels/lstm/lstm_tiled.wgsl).
 */
function recurrence(rung: LstmKernel, n: Dims, l: number, bufs: Tensor[]): void {
  if (rung === 'gemm') return gemmSteps(n, l, bufs);
  const { B, T, H, D, half } = n;
  const rt = runtime();
  const [rec, init, gates, cs, hprev, out, state] = bufs.map((t) => t.buffer);
  const buffers = { rec, init, gates, cs, hprev, out, state };
  const lOff = l * D * B * H;
  if (rung === 'looped') {
    for (let s0 = 0; s0 < T; s0 += MAX_LOOP_STEPS) {
      const steps = Math.min(MAX_LOOP_STEPS, T - s0);
      rt.dispatch({
        kernel: FORWARD,
        constants: { WG: wgFor(H) },
        params: { B, T, H, D, s0, steps, lOff, half },
        buffers,
        groups: [Math.ceil(B / FWD_ROWS), D],
      });
    }
    return;
  }
  for (let s = 0; s < T; s++) {
    const params = { B, T, H, D, s0: s, steps: 1, lOff, half };
    if (rung === 'naive') rt.dispatch({ kernel: FORWARD_NAIVE, params, buffers, groups: [Math.ceil((B * H) / 64), D] });
    else
      rt.dispatch({
        kernel: FORWARD,
        constants: { WG: wgFor(H) },
        params,
        buffers,
        groups: [Math.ceil(B / FWD_ROWS), D],
      });
  }
}

/**
 * Backpropagation through time for layer l: steps s = T−1 … 0, then dL/dh0 (q = s + 1 runs T … 0).
 * bufs: rec, gates, cs, gOut, gState (gy, whose [dh_N | dc_N] start at gsOff), dG, dInit (see lstm_grad_tiled.wgsl).
 */
function bptt(rung: LstmKernel, n: Dims, l: number, gsOff: number, bufs: Tensor[]): void {
  if (rung === 'gemm') return gemmBptt(n, l, gsOff, bufs);
  const { B, T, H, D, half } = n;
  const rt = runtime();
  const [rec, gates, cs, gOut, gState, dG, dInit] = bufs.map((t) => t.buffer);
  const buffers = { rec, gates, cs, gOut, gState, dG, dInit };
  const lOff = l * D * B * H;
  if (rung === 'looped') {
    for (let q0 = T; q0 >= 0; q0 -= MAX_LOOP_STEPS) {
      const steps = Math.min(MAX_LOOP_STEPS, q0 + 1);
      rt.dispatch({
        kernel: BACKWARD,
        constants: backConfig(H),
        params: { B, T, H, D, q0, steps, lOff, half, gsOff },
        buffers,
        groups: [Math.ceil(B / BWD_ROWS), D],
      });
    }
    return;
  }
  for (let q = T; q >= 0; q--) {
    const params = { B, T, H, D, q0: q, steps: 1, lOff, half, gsOff };
    if (rung === 'naive')
      rt.dispatch({ kernel: BACKWARD_NAIVE, params, buffers, groups: [Math.ceil((B * H) / 64), D] });
    else
      rt.dispatch({
        kernel: BACKWARD,
        constants: backConfig(H),
        params,
        buffers,
        groups: [Math.ceil(B / BWD_ROWS), D],
      });
  }
}

/**
 * The 'gemm' rung's forward recurrence of layer l: per step s, rh = h_{t−1}·W_hhᵀ on the workgroup tile (both
 * directions as the GEMM's batch), then the fused gate kernel, which also leaves h_t in hcur for the next GEMM.
 * bufs: W_hh (D, 4H, H), init, gates (in: x·W_ihᵀ + biases), cs, hprev, out, state (see kernels/lstm/lstm_gemm.wgsl).
 */
function gemmSteps(n: Dims, l: number, bufs: Tensor[]): void {
  const { B, T, H, D, half } = n;
  const rt = runtime();
  const [whh, init, gates, cs, hprev, out, state] = bufs;
  const lOff = l * D * B * H;
  const hcur = empty([D, B, H], 'lstm');
  const rh = empty([D, B, 4 * H], 'lstm');
  rt.copy(init.buffer, hcur.buffer, D * B * H * 4, lOff * 4, 0); // this layer's h0, contiguous (D, B, H)
  const buffers = { rh: rh.buffer, init: init.buffer, gates: gates.buffer, cs: cs.buffer };
  const more = { hprev: hprev.buffer, out: out.buffer, state: state.buffer, hcur: hcur.buffer };
  for (let s = 0; s < T; s++) {
    // rh (D, B, 4H) = hcur (D, B, H) · W_hh (D, 4H, H)ᵀ
    const u = { M: B, N: 4 * H, K: H, S: 1, sAm: H, sAk: 1, sBk: 1, sBn: H, batchA: B * H, batchB: 4 * H * H, Z: D };
    sharedGemm(hcur, whh, rh, null, u);
    rt.dispatch({
      kernel: GATES,
      params: { B, T, H, D, s, lOff, half },
      buffers: { ...buffers, ...more },
      groups: [Math.ceil((B * H) / 64), D],
    });
  }
  hcur.dispose();
  rh.dispose();
}

/**
 * The 'gemm' rung's BPTT of layer l: per step s = T−1 … 0 the fused gate-gradient kernel, then dhRec = dG_s·W_hh on
 * the workgroup tile (the recurrent part of dL/dh for step s − 1; after step 0, dL/dh0).
 * bufs: W_hh (D, 4H, H), gates, cs, gOut, gState, dG, dInit (see kernels/lstm/lstm_grad_gemm.wgsl).
 */
function gemmBptt(n: Dims, l: number, gsOff: number, bufs: Tensor[]): void {
  const { B, T, H, D, half } = n;
  const rt = runtime();
  const [whh, gates, cs, gOut, gState, dG, dInit] = bufs;
  const lOff = l * D * B * H;
  const dGcur = empty([D, B, 4 * H], 'lstm');
  const dhRec = empty([D, B, H], 'lstm'); // not read at s = T − 1
  const buffers = { gates: gates.buffer, cs: cs.buffer, gOut: gOut.buffer, gState: gState.buffer };
  const more = { dhRec: dhRec.buffer, dG: dG.buffer, dGcur: dGcur.buffer, dInit: dInit.buffer };
  for (let s = T - 1; s >= 0; s--) {
    rt.dispatch({
      kernel: GATE_GRADS,
      params: { B, T, H, D, s, lOff, half, gsOff },
      buffers: { ...buffers, ...more },
      groups: [Math.ceil((B * H) / 64), D],
    });
    // dhRec (D, B, H) = dGcur (D, B, 4H) · W_hh (D, 4H, H)
    const u = { M: B, N: H, K: 4 * H, S: 1, sAm: 4 * H, sAk: 1, sBk: H, sBn: 1, batchA: 4 * B * H, batchB: 4 * H * H };
    sharedGemm(dGcur, whh, dhRec, null, { ...u, Z: D });
  }
  rt.copy(dhRec.buffer, dInit.buffer, D * B * H * 4, 0, lOff * 4); // dL/dh0 of this layer
  dGcur.dispose();
  dhRec.dispose();
}

// ------------------------------------------------------------------------------------------------ packing

/** [h0 | c0] (each L·D·B·H), zeros where absent. */
function packInit(h0: Tensor | null, c0: Tensor | null, half: number): Tensor {
  const init = h0 && c0 ? empty([2 * half], 'lstm') : zeros([2 * half]);
  if (h0) runtime().copy(h0.buffer, init.buffer, half * 4, 0, 0);
  if (c0) runtime().copy(c0.buffer, init.buffer, half * 4, 0, half * 4);
  return init;
}

/** The D directions' tensors of one shape stacked on a new leading axis (a view when D = 1). */
function stackDirs(D: number, at: (d: number) => Tensor, shape: number[]): Tensor {
  if (D === 1) return at(0).view(shape);
  const y = empty(shape, 'lstm');
  const n = shapeSize(shape) / D;
  for (let d = 0; d < D; d++) runtime().copy(at(d).buffer, y.buffer, n * 4, 0, d * n * 4);
  return y;
}

/** b_ih + b_hh (D, n), w(d, 2) + w(d, 3): the 'gemm' rung's bias of the input projection. */
function biasSum(D: number, n: number, w: (d: number, k: number) => Tensor): Tensor {
  const a = stackDirs(D, (d) => w(d, 2), [D, n]);
  const b = stackDirs(D, (d) => w(d, 3), [D, n]);
  const y = add(a, b);
  a.dispose();
  b.dispose();
  return y;
}

/** [W_hh (D, 4H, H) | b_ih (D, 4H) | b_hh (D, 4H)], the biases zero when the layer has none. */
function packRec(
  n: Dims,
  whh: (d: number) => Tensor,
  bih: ((d: number) => Tensor) | null,
  bhh: ((d: number) => Tensor) | null,
): Tensor {
  const { D, H } = n;
  const nW = 4 * H * H;
  const nB = 4 * H;
  const size = D * (nW + 2 * nB);
  const rec = bih ? empty([size], 'lstm') : zeros([size]);
  const rt = runtime();
  for (let d = 0; d < D; d++) {
    rt.copy(whh(d).buffer, rec.buffer, nW * 4, 0, d * nW * 4);
    if (bih && bhh) {
      rt.copy(bih(d).buffer, rec.buffer, nB * 4, 0, (D * nW + d * nB) * 4);
      rt.copy(bhh(d).buffer, rec.buffer, nB * 4, 0, (D * nW + D * nB + d * nB) * 4);
    }
  }
  return rec;
}

/** A (D, ...) gradient as one tensor of `shape` per direction (t is consumed). */
function splitDirs(t: Tensor, shape: number[]): Tensor[] {
  const D = t.shape[0];
  if (D === 1) {
    const v = t.view(shape);
    t.dispose();
    return [v];
  }
  const n = shapeSize(shape);
  const parts = Array.from({ length: D }, (_, d) => part(t, d * n, shape));
  t.dispose();
  return parts;
}

/** A copy of t's elements [start, start + size(shape)) as a new tensor. */
function part(t: Tensor, start: number, shape: number[]): Tensor {
  const y = empty(shape, 'lstm');
  runtime().copy(t.buffer, y.buffer, y.size * 4, start * 4, 0);
  return y;
}

const copyOf = (t: Tensor): Tensor => part(t, 0, [...t.shape]);

/** dL/dx of a layer, (B, T, I_l): Σ_d dG_d·W_ih,d, one batched matmul and (bidirectional) a sum over directions. */
function inputGrad(dG: Tensor, wIh: Tensor, shape: number[], mm: MatmulOptions): Tensor {
  const per = matmul(dG, wIh, mm); // (D, B·T, I_l)
  const total = per.shape[0] === 1 ? per : sum(per, 0);
  const y = total.view(shape);
  total.dispose();
  if (total !== per) per.dispose();
  return y;
}
