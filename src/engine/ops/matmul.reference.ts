// float64 CPU reference for matmul (tests and the benchmark check the GPU kernels against it). Pure TypeScript.
//
// Same contract as matmul(), torch.matmul's: the last two axes multiply — a is (…,M,K) ((…,K,M) with transA), b is
// (…,K,N) ((…,N,K) with transB) — and the leading batch axes broadcast (NumPy rules). A 1-D a is a row (1,K) and a
// 1-D b a column (K,1), whose unit axis is dropped from the result; the result is (batch…, M, N).

export interface MatmulRefOptions {
  transA?: boolean;
  transB?: boolean;
}

export interface RefResult {
  data: Float64Array;
  shape: number[];
}

const size = (s: readonly number[]) => s.reduce((p, d) => p * d, 1);

export function matmulRef(
  a: ArrayLike<number>,
  aShape: readonly number[],
  b: ArrayLike<number>,
  bShape: readonly number[],
  { transA = false, transB = false }: MatmulRefOptions = {},
): RefResult {
  if (aShape.length < 1 || bShape.length < 1) throw new Error('matmulRef: scalar operand');
  const aMat = aShape.length === 1 ? [1, aShape[0]] : [...aShape];
  const bMat = bShape.length === 1 ? [bShape[0], 1] : [...bShape];
  const [ar, ac] = aMat.slice(-2);
  const [br, bc] = bMat.slice(-2);
  const [M, K] = transA ? [ac, ar] : [ar, ac];
  const [Kb, N] = transB ? [bc, br] : [br, bc];
  if (K !== Kb) throw new Error(`matmulRef: inner dimensions ${K} and ${Kb} differ`);
  // Batch shapes right-aligned and padded with ones; each output batch index maps to one matrix of a and of b.
  const rank = Math.max(aMat.length, bMat.length) - 2;
  const pad = (s: number[]) => [...new Array<number>(rank - (s.length - 2)).fill(1), ...s.slice(0, -2)];
  const [pa, pb] = [pad(aMat), pad(bMat)];
  const batch = pa.map((d, i) => {
    if (d !== pb[i] && d !== 1 && pb[i] !== 1) throw new Error(`matmulRef: batch axes ${pa} and ${pb} differ`);
    return d === 1 ? pb[i] : d;
  });
  const Z = size(batch);
  const out = new Float64Array(Z * M * N);
  for (let z = 0; z < Z; z++) {
    // The matrix index of a and of b for output batch z: its coordinates, each clamped to 0 on a broadcast axis.
    let [ia, ib, rest] = [0, 0, z];
    let [sa, sb] = [1, 1];
    for (let i = rank - 1; i >= 0; i--) {
      const coord = rest % batch[i];
      rest = Math.floor(rest / batch[i]);
      ia += (pa[i] === 1 ? 0 : coord) * sa;
      ib += (pb[i] === 1 ? 0 : coord) * sb;
      sa *= pa[i];
      sb *= pb[i];
    }
    const a0 = ia * M * K;
    const b0 = ib * K * N;
    for (let m = 0; m < M; m++) {
      for (let n = 0; n < N; n++) {
        let s = 0;
        for (let k = 0; k < K; k++) {
          const x = a[a0 + (transA ? k * M + m : m * K + k)];
          const y = b[b0 + (transB ? n * K + k : k * N + n)];
          s += x * y;
        }
        out[(z * M + m) * N + n] = s;
      }
    }
  }
  return { data: out, shape: [...batch, ...(aShape.length === 1 ? [] : [M]), ...(bShape.length === 1 ? [] : [N])] };
}
