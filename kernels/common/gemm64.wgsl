// The 64×64 workgroup tile shared by the GPU-profile GEMM kernels (matmul_shared, conv1d_gemm*): 16×16 invocations,
// each accumulating a 4×4 block of C in registers (16 floats), fed from A and B tiles of tile-K 16 staged in
// workgroup memory (2 × 64×16 floats = 8 KiB), so each value loaded from storage is used 64 times by the workgroup.
//
// The including kernel defines `fn loadTiles(t: u32, k0: u32, kEnd: u32)`: invocation t (0 .. 255) writes its share
// of A[m0 .. m0+63, k0 .. k0+15] into tileA and of B[k0 .. k0+15, n0 .. n0+63] into tileB, writing zeros outside
// the matrices and at k ≥ kEnd (so partial tiles need no checks in the inner loop).
// Invocation (tx, ty) owns rows m0 + 4·ty .. +3 and columns n0 + 4·tx .. +3 of the workgroup's tile.

const TILE = 64u; // outputs per workgroup along m and along n
const TILE_K = 16u; // k per staged tile

/** A tile, k-major: tileA[k·16 + i] holds rows 4i .. 4i+3 of column k (one vec4 per invocation row). */
var<workgroup> tileA: array<vec4<f32>, 256>;
/** B tile, k-major: tileB[k·16 + j] holds columns 4j .. 4j+3 of row k. */
var<workgroup> tileB: array<vec4<f32>, 256>;

/** One invocation's 4×4 block of C: row i of the block is ri (four columns). */
struct Block { r0: vec4<f32>, r1: vec4<f32>, r2: vec4<f32>, r3: vec4<f32> }

/** tileA[k][m] = v for one element (m in 0 .. 63). */
fn putA(k: u32, m: u32, v: f32) {
  tileA[k * 16u + m / 4u][m % 4u] = v;
}

/** tileB[k][n] = v for one element (n in 0 .. 63). */
fn putB(k: u32, n: u32, v: f32) {
  tileB[k * 16u + n / 4u][n % 4u] = v;
}

/** acc + the 16 steps of k in the staged tiles, for the block of invocation (tx, ty). */
fn blockSteps(acc: Block, tx: u32, ty: u32) -> Block {
  var r = acc;
  for (var k = 0u; k < TILE_K; k++) {
    let av = tileA[k * 16u + ty]; // A[4ty .. 4ty+3, k]
    let bv = tileB[k * 16u + tx]; // B[k, 4tx .. 4tx+3]
    r.r0 = fma(vec4<f32>(av.x), bv, r.r0);
    r.r1 = fma(vec4<f32>(av.y), bv, r.r1);
    r.r2 = fma(vec4<f32>(av.z), bv, r.r2);
    r.r3 = fma(vec4<f32>(av.w), bv, r.r3);
  }
  return r;
}

/**
 * acc + Σ_{k in [kBegin, kEnd)} A[m, k]·B[k, n] for the invocation's block: stage a tile, wait, multiply, wait.
 * kBegin and kEnd must be the same in the whole workgroup (the barriers are in the loop).
 */
fn gemmRange(acc: Block, lid: vec3<u32>, kBegin: u32, kEnd: u32) -> Block {
  var r = acc;
  for (var k0 = kBegin; k0 < kEnd; k0 += TILE_K) {
    loadTiles(lid.y * 16u + lid.x, k0, kEnd);
    workgroupBarrier();
    r = blockSteps(r, lid.x, lid.y);
    workgroupBarrier(); // the next loadTiles overwrites the tiles
  }
  return r;
}

/** Row i (0 .. 3) of a block. */
fn blockRow(c: Block, i: u32) -> vec4<f32> {
  switch (i) {
    case 0u: { return c.r0; }
    case 1u: { return c.r1; }
    case 2u: { return c.r2; }
    default: { return c.r3; }
  }
}
