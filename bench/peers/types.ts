// Shared shapes of the side-by-side benchmark (bench/ops/*.compare.ts): one row = one computation timed on webgrad
// and on the peers (tfjs on its WebGPU backend, onnxruntime-web on its WebGPU provider, jax-js on its WebGPU
// backend), on identical inputs, each checked against the float64 CPU reference of src/engine/ops/*.reference.ts.

import type * as wgType from '../../src/index';
import type { KernelBenchInstance } from '../cases';
import type { Jax } from './jax';
import type { OrtContext } from './ort';
import type { Tf } from './tfjs';

/** 'ort-wasm' is the CPU column: onnxruntime-web on wasm (SIMD + threads), on the rows of CPU_GROUPS (ort-wasm.ts). */
export type PeerName = 'tfjs' | 'ort' | 'ort-wasm' | 'jax';
export const PEERS: readonly PeerName[] = ['tfjs', 'ort', 'ort-wasm', 'jax'];
export type ImplName = 'webgrad' | PeerName;
export const IMPLS: readonly ImplName[] = ['webgrad', ...PEERS];

/** One peer's prepared computation; run() records (tfjs), runs (ORT, awaited) or submits (jax-js, awaited) one call. */
export interface PeerInstance {
  run(): void | Promise<void>;
  /** Max relative error vs the float64 reference (max|got − want| / max|want|, over every compared output). */
  check(): Promise<number>;
  dispose(): void;
  /** Something a reader of the table must know (e.g. "LSTM runs on ORT's wasm CPU provider"). */
  note?: string;
}

export interface CompareRow {
  /** 'matmul', 'conv1d', 'attention', 'bilstm', 'infonce'. */
  group: string;
  label: string;
  /** Algorithmic flops of one call (for GFLOP/s). */
  flops?: number;
  /** What the check compares ('output', 'grads', 'forward output' when a backward has no float64 reference). */
  checks: string;
  webgrad(w: typeof wgType): KernelBenchInstance;
  tfjs?(tf: Tf): PeerInstance;
  ort?(ctx: OrtContext): Promise<PeerInstance>;
  jax?(jx: Jax): PeerInstance;
  /** Why a peer has no implementation of this row (e.g. "ORT-web has no backward"). */
  missing?: Partial<Record<PeerName, string>>;
}

/** max|got − want| / max|want| over all pairs (the arrays of a pair have equal length). */
export function maxRelErr(got: ArrayLike<number>[], want: ArrayLike<number>[]): number {
  if (got.length !== want.length) return Infinity;
  let worst = 0;
  for (let j = 0; j < want.length; j++) {
    const g = got[j];
    const w = want[j];
    if (g.length !== w.length) return Infinity;
    let err = 0;
    let scale = 0;
    for (let i = 0; i < w.length; i++) {
      const d = Math.abs(g[i] - w[i]);
      err = Number.isNaN(d) ? Infinity : Math.max(err, d);
      scale = Math.max(scale, Math.abs(w[i]));
    }
    worst = Math.max(worst, err / Math.max(scale, 1e-30));
  }
  return worst;
}

/** Row-major transpose of `data` (shape `shape`) by `perm`: out.shape[i] = shape[perm[i]]. */
export function permute(data: ArrayLike<number>, shape: readonly number[], perm: readonly number[]): Float32Array {
  const n = shape.length;
  const outShape = perm.map((p) => shape[p]);
  const inStride = new Array<number>(n);
  let s = 1;
  for (let i = n - 1; i >= 0; i--) {
    inStride[i] = s;
    s *= shape[i];
  }
  const out = new Float32Array(s);
  const idx = new Array<number>(n).fill(0);
  const stride = perm.map((p) => inStride[p]); // input stride of each output axis
  for (let o = 0; o < s; o++) {
    let src = 0;
    for (let i = 0; i < n; i++) src += idx[i] * stride[i];
    out[o] = data[src];
    for (let i = n - 1; i >= 0; i--) {
      if (++idx[i] < outShape[i]) break;
      idx[i] = 0;
    }
  }
  return out;
}
