// The split-K plan of the GPU profile's GEMMs (gemm64.ts: matmul's 'shared' rung, conv1d's 'gemm' dweight). No WGSL
// here, so Node tests import it (test/splitk.test.ts).

/** Outputs per workgroup along m and n (kernels/common/gemm64.wgsl's TILE). */
export const TILE = 64;

/**
 * Split-K: when a product has few output tiles and a long K (dW = Xᵀ·dY, K = batch·time), most of a GPU's cores
 * would idle while each workgroup walks K alone. Then K is cut into slices, about SPLIT_TARGET workgroups in all,
 * each slice at least SPLIT_MIN_SLICE long so that summing the partials (slices·Z·M·N reads) stays small next to the
 * product.
 */
const SPLIT_MAX_TILES = 32;
const SPLIT_MIN_K = 256;
const SPLIT_MIN_SLICE = 128;
const SPLIT_TARGET = 128;
const MAX_GROUPS = 65535;

/** The split of K for a product of Z (M×K)·(K×N) matrices: slices of kLen (a multiple of 16); one slice = no split. */
export function splitK(M: number, N: number, K: number, Z: number): { slices: number; kLen: number } {
  const tiles = Z * Math.ceil(M / TILE) * Math.ceil(N / TILE);
  if (tiles >= SPLIT_MAX_TILES || K < SPLIT_MIN_K) return { slices: 1, kLen: Math.max(K, 1) };
  const want = Math.min(Math.ceil(SPLIT_TARGET / tiles), Math.floor(K / SPLIT_MIN_SLICE), Math.floor(MAX_GROUPS / Z));
  const kLen = Math.ceil(K / want / 16) * 16;
  return { slices: Math.ceil(K / kLen), kLen };
}
