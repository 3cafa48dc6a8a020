// float64 CPU reference for matmul (tests and the benchmark check the GPU kernels against it). Pure TypeScript.
//
// Same contract as matmul(): a is (M,K) or (B,M,K) — (K,M)/(B,K,M) with transA — and b is (K,N) or (B,K,N) —
// (N,K)/(B,N,K) with transB. A 2-D operand is shared by every batch; the result is (B,M,N), or (M,N) if both are 2-D.

export interface MatmulRefOptions {
  transA?: boolean;
  transB?: boolean;
}

export interface RefResult {
  data: Float64Array;
  shape: number[];
}

export function matmulRef(
  a: ArrayLike<number>,
  aShape: readonly number[],
  b: ArrayLike<number>,
  bShape: readonly number[],
  { transA = false, transB = false }: MatmulRefOptions = {},
): RefResult {
  const ra = aShape.length;
  const rb = bShape.length;
  if (ra < 2 || ra > 3 || rb < 2 || rb > 3) throw new Error(`matmulRef: ranks ${ra} and ${rb}, expected 2 or 3`);
  const [ar, ac] = aShape.slice(-2);
  const [br, bc] = bShape.slice(-2);
  const [M, K] = transA ? [ac, ar] : [ar, ac];
  const [Kb, N] = transB ? [bc, br] : [br, bc];
  if (K !== Kb) throw new Error(`matmulRef: inner dimensions ${K} and ${Kb} differ`);
  const batchA = ra === 3 ? aShape[0] : 1;
  const batchB = rb === 3 ? bShape[0] : 1;
  if (ra === 3 && rb === 3 && batchA !== batchB)
    throw new Error(`matmulRef: batch sizes ${batchA} and ${batchB} differ`);
  const batch = Math.max(batchA, batchB);
  const out = new Float64Array(batch * M * N);
  for (let g = 0; g < batch; g++) {
    const a0 = ra === 3 ? g * M * K : 0;
    const b0 = rb === 3 ? g * K * N : 0;
    for (let m = 0; m < M; m++) {
      for (let n = 0; n < N; n++) {
        let s = 0;
        for (let k = 0; k < K; k++) {
          const x = a[a0 + (transA ? k * M + m : m * K + k)];
          const y = b[b0 + (transB ? n * K + k : k * N + n)];
          s += x * y;
        }
        out[(g * M + m) * N + n] = s;
      }
    }
  }
  return { data: out, shape: ra === 3 || rb === 3 ? [batch, M, N] : [M, N] };
}
