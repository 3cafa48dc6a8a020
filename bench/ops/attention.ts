// Attention benchmark rows at DAR's shapes (docs/models.md §6: B = 64, t = 8, d = 128, 8 heads) and at T = 500.
//
//   - the op at B = 64, 8 heads, dimHead 16 (DAR's encoders) and 64 (LNLN's default), self-attention (Tq = Tk = 8) and
//     cross-attention (Tq = 9, Tk = 8: a target with LNLN's prepended token), forward and forward + backward, on the
//     fused tiled kernels; at dimHead 16 also the fused naive kernels (one row per invocation) and the composite
//     composition (matmul → softmax → matmul, which materialises the scores) for comparison;
//   - T = 500 (B = 8, 8 heads, dimHead 16): tiled and composite forward and forward + backward, naive forward;
//   - the GPU tuning profile's flash kernels (workgroup-memory tiles) beside tiled at DAR self-attention (dimHead 16
//     and 64) and T = 500, forward and forward + backward: on SwiftShader they are expected to be slower;
//   - whole layers at DAR's shape: MultiheadAttention(128, 8 heads × 16) and TransformerEncoderLayer(128, 8 × 16,
//     mlp 128), forward + backward (their check compares the forward output with the float64 module reference).
// GFLOP/s counts the algorithmic flops: forward 2·B·H·Tq·Tk·Dh for Q·Kᵀ and as many for P·V; the backward adds
// dV = Pᵀ·dO, dP = dO·Vᵀ, dQ = dS·K and dK = dSᵀ·Q (4 more products), not the fused kernels' recomputation of Q·Kᵀ.

import type * as wgType from '../../src/index';
import type { AttentionKernel } from '../../src/engine/ops/attention';
import {
  attentionBackwardRef,
  attentionRef,
  encoderLayerRef,
  layerParamShapes,
  mhaParamShapes,
  mhaRef,
  type Params,
} from '../../src/engine/ops/attention.reference';
import type { KernelBench, KernelBenchInstance } from '../cases';
import { randomData } from '../random-data';

function maxRelErr(got: Float32Array, want: Float64Array): number {
  let err = 0;
  let scale = 0;
  for (let i = 0; i < want.length; i++) {
    err = Math.max(err, Math.abs(got[i] - want[i]));
    scale = Math.max(scale, Math.abs(want[i]));
  }
  return err / Math.max(scale, 1e-30);
}

interface Shape {
  B: number;
  H: number;
  Tq: number;
  Tk: number;
  Dh: number;
  what: string;
}

interface Data {
  q: Float32Array;
  k: Float32Array;
  v: Float32Array;
  go: Float32Array;
  fwd?: Float64Array;
  grads?: { dq: Float64Array; dk: Float64Array; dv: Float64Array };
}
const data = new Map<string, Data>();

function dataFor(s: Shape): Data {
  const key = JSON.stringify(s);
  let d = data.get(key);
  if (!d) {
    const nq = s.B * s.H * s.Tq * s.Dh;
    const nk = s.B * s.H * s.Tk * s.Dh;
    // q and k in [-2, 2): scores of a few units, so the softmax is not flat.
    d = {
      q: randomData(nq, 1).map((x) => 2 * x),
      k: randomData(nk, 2).map((x) => 2 * x),
      v: randomData(nk, 3),
      go: randomData(nq, 4),
    };
    data.set(key, d);
  }
  return d;
}

function opRow(s: Shape, kernel: AttentionKernel, backward: boolean): KernelBench {
  const prod = s.B * s.H * s.Tq * s.Tk * s.Dh;
  return {
    group: 'attention',
    label: `${s.what} B=${s.B} H=${s.H} Tq=${s.Tq} Tk=${s.Tk} Dh=${s.Dh}, ${backward ? 'fwd+bwd' : 'fwd'} [${kernel}]`,
    flops: 2 * prod * (backward ? 6 : 2),
    setup(w: typeof wgType): KernelBenchInstance {
      const d = dataFor(s);
      const qShape = [s.B, s.H, s.Tq, s.Dh];
      const kShape = [s.B, s.H, s.Tk, s.Dh];
      const q = w.tensor(d.q, qShape, { requiresGrad: backward }).keep();
      const k = w.tensor(d.k, kShape, { requiresGrad: backward }).keep();
      const v = w.tensor(d.v, kShape, { requiresGrad: backward }).keep();
      const go = w.tensor(d.go, qShape).keep();
      const inputs = [q, k, v];
      const clearGrads = () => {
        for (const t of inputs) {
          t.grad?.dispose();
          t.grad = null;
        }
      };
      const call = () => {
        const o = w.attention(q, k, v, { kernel });
        if (backward) o.backward(go);
        return o;
      };
      return {
        run() {
          call();
          clearGrads();
        },
        async check() {
          if (!backward) {
            const o = w.tidy(() => call());
            const got = await o.toArray();
            o.dispose();
            d.fwd ??= attentionRef(d.q, qShape, d.k, d.v, kShape).data;
            return maxRelErr(got, d.fwd);
          }
          w.tidy(() => {
            call();
          });
          const [gq, gk, gv] = await Promise.all(inputs.map((t) => t.grad!.toArray()));
          clearGrads();
          d.grads ??= attentionBackwardRef(d.q, qShape, d.k, d.v, kShape, d.go);
          return Math.max(maxRelErr(gq, d.grads.dq), maxRelErr(gk, d.grads.dk), maxRelErr(gv, d.grads.dv));
        },
        dispose() {
          clearGrads();
          for (const t of [q, k, v, go]) t.dispose();
        },
      };
    },
  };
}

/** MultiheadAttention or TransformerEncoderLayer at (B, T, dim), forward + backward to the input and every weight. */
function moduleRow(
  kind: 'mha' | 'layer',
  B: number,
  T: number,
  dim: number,
  heads: number,
  dimHead: number,
): KernelBench {
  const cfg = { heads, dimHead, mlpDim: dim };
  const prod = B * heads * T * T * dimHead;
  // The attention products as in opRow, plus 3× (forward, dX, dW) each Linear: q, k, v, out (and FF's two).
  const linearMacs = B * T * dim * heads * dimHead * 4 + (kind === 'layer' ? 2 * B * T * dim * dim : 0);
  return {
    group: 'attention',
    label: `${kind === 'mha' ? 'MultiheadAttention' : 'TransformerEncoderLayer'}(${dim}, ${heads}×${dimHead}) B=${B} T=${T}, fwd+bwd`,
    flops: 2 * prod * 6 + 2 * linearMacs * 3,
    setup(w: typeof wgType): KernelBenchInstance {
      const m =
        kind === 'mha'
          ? new w.MultiheadAttention(dim, { ...cfg, seed: 1 })
          : new w.TransformerEncoderLayer(dim, { ...cfg, seed: 1 });
      const xData = randomData(B * T * dim, 5);
      const x = w.tensor(xData, [B, T, dim], { requiresGrad: true }).keep();
      const params = [x, ...m.parameters()];
      const call = () => {
        const y =
          m instanceof w.MultiheadAttention
            ? m.forward(x, x, x)
            : (m as InstanceType<typeof w.TransformerEncoderLayer>).forward(x);
        w.sum(y).backward();
        return y;
      };
      const clearGrads = () => {
        for (const p of params) {
          p.grad?.dispose();
          p.grad = null;
        }
      };
      return {
        run() {
          call();
          clearGrads();
        },
        async check() {
          const y = w.tidy(() => call());
          const got = await y.toArray();
          y.dispose();
          clearGrads();
          const ps: Params = {};
          for (const [n, p] of m.namedParameters()) ps[n] = await p.toArray();
          const want =
            kind === 'mha'
              ? mhaRef(xData, xData, xData, B, T, T, dim, ps, cfg)
              : encoderLayerRef(xData, B, T, dim, ps, cfg);
          // The names the reference reads must be exactly the module's.
          const names = (kind === 'mha' ? mhaParamShapes(dim, cfg) : layerParamShapes(dim, cfg)).map(([n]) => n);
          if (names.join() !== Object.keys(ps).join()) return Infinity;
          return maxRelErr(got, want.data);
        },
        dispose() {
          clearGrads();
          x.dispose();
          m.dispose();
        },
      };
    },
  };
}

const dar = (Dh: number, Tq: number, Tk: number): Shape => ({
  what: Tq === Tk ? 'DAR self' : 'DAR cross',
  B: 64,
  H: 8,
  Tq,
  Tk,
  Dh,
});
const LONG: Shape = { what: 'T=500', B: 8, H: 8, Tq: 500, Tk: 500, Dh: 16 };

export const BENCHES: KernelBench[] = [
  ...[16, 64].flatMap((Dh) =>
    [dar(Dh, 8, 8), dar(Dh, 9, 8)].flatMap((s) => [false, true].map((bwd) => opRow(s, 'tiled', bwd))),
  ),
  ...[false, true].flatMap((bwd) => (['naive', 'composite'] as const).map((k) => opRow(dar(16, 8, 8), k, bwd))),
  ...[false, true].flatMap((bwd) => (['tiled', 'composite'] as const).map((k) => opRow(LONG, k, bwd))),
  ...[dar(16, 8, 8), dar(64, 8, 8), LONG].flatMap((s) => [false, true].map((bwd) => opRow(s, 'flash', bwd))),
  opRow(LONG, 'naive', false), // its backward takes ~15 s a call here: timed once by hand, not in every bench run
  moduleRow('mha', 64, 8, 128, 8, 16),
  moduleRow('layer', 64, 8, 128, 8, 16),
];
