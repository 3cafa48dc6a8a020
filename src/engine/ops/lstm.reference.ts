// Float64 CPU reference for lstm() (src/engine/ops/lstm.ts): PyTorch's nn.LSTM with batch_first, written as the textbook
// loops. The gradient checks differentiate it numerically and the benchmarks compare against it. No GPU imports.

export interface Ref {
  data: Float64Array;
  shape: number[];
}

export interface RefLstmOptions {
  hidden: number;
  numLayers?: number;
  bidirectional?: boolean;
  /** Initial states (L·D, B, H), zeros when absent. */
  h0?: ArrayLike<number> | null;
  c0?: ArrayLike<number> | null;
}

const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));

/**
 * x (B, T, I) flat; weights in PyTorch's flat order (per layer, per direction: weight_ih (4H, I_l), weight_hh (4H, H)
 * and, when there are 4 per layer and direction, bias_ih and bias_hh (4H)). Returns output (B, T, D·H) and the final
 * h and c (L·D, B, H).
 */
export function refLstm(
  x: ArrayLike<number>,
  [B, T, I]: readonly number[],
  weights: readonly ArrayLike<number>[],
  { hidden: H, numLayers: L = 1, bidirectional = false, h0 = null, c0 = null }: RefLstmOptions,
): { output: Ref; h: Ref; c: Ref } {
  const D = bidirectional ? 2 : 1;
  const per = weights.length / (L * D);
  if (per !== 2 && per !== 4) throw new Error(`refLstm: ${weights.length} weights for ${L} layers × ${D} directions`);
  const hN = new Float64Array(L * D * B * H);
  const cN = new Float64Array(L * D * B * H);
  let input = Float64Array.from(x);
  let inF = I;
  for (let l = 0; l < L; l++) {
    const out = new Float64Array(B * T * D * H);
    for (let d = 0; d < D; d++) {
      const k = (l * D + d) * per;
      const [wIh, wHh] = [weights[k], weights[k + 1]];
      const bIh = per === 4 ? weights[k + 2] : null;
      const bHh = per === 4 ? weights[k + 3] : null;
      for (let b = 0; b < B; b++) {
        const st = ((l * D + d) * B + b) * H; // this (layer, direction, row) in h0/c0/hN/cN
        let h = Float64Array.from({ length: H }, (_, j) => (h0 ? h0[st + j] : 0));
        let c = Float64Array.from({ length: H }, (_, j) => (c0 ? c0[st + j] : 0));
        for (let s = 0; s < T; s++) {
          const t = d === 0 ? s : T - 1 - s;
          const a = new Float64Array(4 * H);
          for (let r = 0; r < 4 * H; r++) {
            let v = (bIh ? bIh[r] : 0) + (bHh ? bHh[r] : 0);
            for (let i = 0; i < inF; i++) v += wIh[r * inF + i] * input[(b * T + t) * inF + i];
            for (let j = 0; j < H; j++) v += wHh[r * H + j] * h[j];
            a[r] = v;
          }
          const hNext = new Float64Array(H);
          const cNext = new Float64Array(H);
          for (let j = 0; j < H; j++) {
            const ig = sigmoid(a[j]);
            const fg = sigmoid(a[H + j]);
            const gg = Math.tanh(a[2 * H + j]);
            const og = sigmoid(a[3 * H + j]);
            cNext[j] = fg * c[j] + ig * gg;
            hNext[j] = og * Math.tanh(cNext[j]);
            out[(b * T + t) * D * H + d * H + j] = hNext[j];
          }
          h = hNext;
          c = cNext;
        }
        hN.set(h, st);
        cN.set(c, st);
      }
    }
    input = out;
    inF = D * H;
  }
  return {
    output: { data: input, shape: [B, T, D * H] },
    h: { data: hN, shape: [L * D, B, H] },
    c: { data: cN, shape: [L * D, B, H] },
  };
}
