// float64 CPU reference for conv1d (tests and the benchmark check the GPU kernels against it). Pure TypeScript.
//
// x (B, Cin, T), w (Cout, Cin/groups, K), optional bias (Cout) → (B, Cout, Tout), PyTorch's F.conv1d:
//   y[b, co, to] = bias[co] + Σ_{ci, k} w[co, ci, k] · x[b, g·Cin/groups + ci, to·stride + k·dilation − padLeft]
// zero outside [0, T); padding 'same' pads dilation·(K−1) in total with left = total // 2 (PyTorch's choice for an
// even effective kernel: the extra step goes on the right).

export interface Conv1dRefOptions {
  stride?: number;
  padding?: number | 'same' | 'valid';
  dilation?: number;
  groups?: number;
}

export interface RefResult {
  data: Float64Array;
  shape: number[];
}

/** [padLeft, padRight, Tout] of a convolution, by the definition above. */
export function conv1dRefGeometry(
  T: number,
  K: number,
  { stride = 1, padding = 0, dilation = 1 }: Conv1dRefOptions = {},
): [number, number, number] {
  const pad = padding === 'valid' ? 0 : padding;
  const total = pad === 'same' ? dilation * (K - 1) : 2 * pad;
  const left = pad === 'same' ? Math.floor(total / 2) : pad;
  const right = total - left;
  const Tout = Math.floor((T + total - dilation * (K - 1) - 1) / stride) + 1;
  return [left, right, Tout];
}

export function conv1dRef(
  x: ArrayLike<number>,
  xShape: readonly number[],
  w: ArrayLike<number>,
  wShape: readonly number[],
  bias: ArrayLike<number> | null = null,
  opts: Conv1dRefOptions = {},
): RefResult {
  const [B, Cin, T] = xShape;
  const [Cout, CinG, K] = wShape;
  const { stride = 1, dilation = 1, groups = 1 } = opts;
  if (Cin !== CinG * groups || Cout % groups !== 0)
    throw new Error(`conv1dRef: channels ${Cin}, ${Cout} vs groups ${groups}`);
  const [left, , Tout] = conv1dRefGeometry(T, K, opts);
  if (Tout < 1) throw new Error('conv1dRef: kernel larger than the padded input');
  const CoutG = Cout / groups;
  const y = new Float64Array(B * Cout * Tout);
  for (let b = 0; b < B; b++) {
    for (let co = 0; co < Cout; co++) {
      const g = Math.floor(co / CoutG);
      for (let to = 0; to < Tout; to++) {
        let s = bias ? bias[co] : 0;
        for (let ci = 0; ci < CinG; ci++) {
          const xrow = (b * Cin + g * CinG + ci) * T;
          for (let k = 0; k < K; k++) {
            const t = to * stride + k * dilation - left;
            if (t >= 0 && t < T) s += w[(co * CinG + ci) * K + k] * x[xrow + t];
          }
        }
        y[(b * Cout + co) * Tout + to] = s;
      }
    }
  }
  return { data: y, shape: [B, Cout, Tout] };
}

/**
 * Gradients of L = Σ gy ⊙ conv1d(x, w, bias) by the chain rule in scatter form (each tap adds its share to the input
 * and weight it read): the opposite formulation to the GPU kernels' gathers. Returns dx (B, Cin, T), dw (Cout,
 * Cin/groups, K) and db (Cout).
 */
export function conv1dRefGrads(
  x: ArrayLike<number>,
  xShape: readonly number[],
  w: ArrayLike<number>,
  wShape: readonly number[],
  gy: ArrayLike<number>,
  opts: Conv1dRefOptions = {},
): { dx: Float64Array; dw: Float64Array; db: Float64Array } {
  const [B, Cin, T] = xShape;
  const [Cout, CinG, K] = wShape;
  const { stride = 1, dilation = 1, groups = 1 } = opts;
  const [left, , Tout] = conv1dRefGeometry(T, K, opts);
  const CoutG = Cout / groups;
  const dx = new Float64Array(B * Cin * T);
  const dw = new Float64Array(Cout * CinG * K);
  const db = new Float64Array(Cout);
  for (let b = 0; b < B; b++) {
    for (let co = 0; co < Cout; co++) {
      const g = Math.floor(co / CoutG);
      for (let to = 0; to < Tout; to++) {
        const d = gy[(b * Cout + co) * Tout + to];
        db[co] += d;
        for (let ci = 0; ci < CinG; ci++) {
          const xrow = (b * Cin + g * CinG + ci) * T;
          for (let k = 0; k < K; k++) {
            const t = to * stride + k * dilation - left;
            if (t < 0 || t >= T) continue;
            const wi = (co * CinG + ci) * K + k;
            dx[xrow + t] += d * w[wi];
            dw[wi] += d * x[xrow + t];
          }
        }
      }
    }
  }
  return { dx, dw, db };
}
