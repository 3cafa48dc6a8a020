// matmul_tiled: the register-tiled rung of the matmul ladder. Same contract and uniforms as matmul_naive, plus Z:
//   C[z][m, n] = Σ_{s < S} Σ_k A_g[m, k] · B_g[k, n],   g = z·S + s
//   A_g[m, k] = a[g·batchA + m·sAm + k·sAk]      B_g[k, n] = b[g·batchB + k·sBk + n·sBn]
// (strides express the transposes; batchA/B = 0 broadcasts; S > 1 sums S batches into one output matrix; Z output
// matrices). hasBias: C[z][m, n] += bias[z·biasZ + n], the tile's 16 bias values loaded once (a fused Linear).
//
// Differs from matmul_naive by computing a 16×16 tile of C per invocation in registers (16 rows × 4 vec4): 4 steps
// of k load 4×16 values of A and 4×16 of B for 1024 multiply-adds, because on SwiftShader a storage load costs as
// much as dozens of fma. Measured at 768³: ≈ 8 GFLOP/s against 4 for 4×4 tiles. Tiles are numbered flat over
// (z, m-tile, n-tile), n fastest, one per invocation, so no lane idles at small N (DAR's 32-wide layers: 2× faster
// than a 2-D grid). Edge rows and columns read the last valid one and are not stored: no bounds checks in the loop.
// Why each choice, with its measurements: docs/decisions/matmul.md.
// DBIAS (a Linear's dW = dYᵀ·X, S = 1): also db[z·M + m] = Σ_k A_g[m, k] (the bias gradient Σ_rows dY, one launch
// instead of dW's plus a sum), summed by the tiles of the first column (n0 = 0) from the A values they load anyway,
// in reduce_sum.wgsl's order (K cut into dbChunks chunks of dbChunk, a multiple of 4: four accumulators round-robin
// per chunk, the chunk sums folded by four more, as FOLD = 1 does), so it equals sum(dY) bit for bit.
// act (6 tanh, 8 relu, 9 exact gelu: unary.wgsl's numbers; a Linear followed by its activation): also aux = act(C), C itself
// stored as before (the activation's backward needs it). The tile is read back and mapped in a loop, so act's code
// is compiled once rather than inlined into each of the 16 row stores; act is unary.wgsl's, lane for lane.
// hasBias and act are uniforms, not pipeline constants: each used outside the k loop, they cost nothing per step of
// k, and one pipeline serves every Linear (SwiftShader spends about 1.5 s compiling each variant of this shader; a
// DAR step with the tiny BERT asked for nine). DBIAS works inside the k loop, so it stays a constant.
//
// bindings: 0 uniform Params   1 a: array<f32>   2 b: array<f32>   3 c: array<f32> (Z·M·N)
//           4 bias: array<f32> (N or Z·N; bound to a when hasBias = 0)
//           5 aux: array<f32> (DBIAS: db, Z·M; act: act(C), Z·M·N; else a one-float scratch buffer)
// dispatch: grid1d(Z·ceil(M/16)·ceil(N/16), WG) workgroups of WG invocations (override, default 16), one tile each.

override WG: u32 = 16u;
override DBIAS: bool = false;

struct Params {
  M: u32, N: u32, K: u32, S: u32,
  sAm: u32, sAk: u32, sBk: u32, sBn: u32,
  batchA: u32, batchB: u32, Z: u32, biasZ: u32,
  dbChunk: u32, dbChunks: u32, hasBias: u32, act: u32,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;
@group(0) @binding(5) var<storage, read_write> aux: array<f32>;

//#include "common/erf.wgsl"
//#include "common/tanh.wgsl"

/** 16 values along n: one row of the tile, or one k-row of the B panel. */
struct Row16 { c0: vec4<f32>, c1: vec4<f32>, c2: vec4<f32>, c3: vec4<f32> }
/** 16 element offsets into a or b. */
struct Offs16 { o0: vec4<u32>, o1: vec4<u32>, o2: vec4<u32>, o3: vec4<u32> }

fn offs16(first: u32, last: u32, stride: u32, base: u32) -> Offs16 {
  let i = vec4<u32>(first) + vec4<u32>(0u, 1u, 2u, 3u);
  let l = vec4<u32>(last);
  let s = vec4<u32>(stride);
  let o = vec4<u32>(base);
  return Offs16(min(i, l) * s + o, min(i + 4u, l) * s + o, min(i + 8u, l) * s + o, min(i + 12u, l) * s + o);
}

fn gatherB(i: vec4<u32>) -> vec4<f32> {
  return vec4<f32>(b[i.x], b[i.y], b[i.z], b[i.w]);
}

/** B[k, n0 .. n0+15], the 16 columns given by their offsets. */
fn loadB(k: u32, cols: Offs16) -> Row16 {
  let o = vec4<u32>(k * p.sBk);
  return Row16(gatherB(cols.o0 + o), gatherB(cols.o1 + o), gatherB(cols.o2 + o), gatherB(cols.o3 + o));
}

/** A[m, k .. k+3] for the row starting at offset r. */
fn loadA4(r: u32, k: u32) -> vec4<f32> {
  let s = p.sAk;
  return vec4<f32>(a[r + k * s], a[r + (k + 1u) * s], a[r + (k + 2u) * s], a[r + (k + 3u) * s]);
}

/** acc + x.x·b0 + x.y·b1 + x.z·b2 + x.w·b3: four steps of k for one row of the tile. */
fn fma4(acc: Row16, x: vec4<f32>, b0: Row16, b1: Row16, b2: Row16, b3: Row16) -> Row16 {
  let x0 = vec4<f32>(x.x);
  let x1 = vec4<f32>(x.y);
  let x2 = vec4<f32>(x.z);
  let x3 = vec4<f32>(x.w);
  return Row16(
    fma(x3, b3.c0, fma(x2, b2.c0, fma(x1, b1.c0, fma(x0, b0.c0, acc.c0)))),
    fma(x3, b3.c1, fma(x2, b2.c1, fma(x1, b1.c1, fma(x0, b0.c1, acc.c1)))),
    fma(x3, b3.c2, fma(x2, b2.c2, fma(x1, b1.c2, fma(x0, b0.c2, acc.c2)))),
    fma(x3, b3.c3, fma(x2, b2.c3, fma(x1, b1.c3, fma(x0, b0.c3, acc.c3)))),
  );
}

/** acc + x·b0: one step of k. */
fn fma1(acc: Row16, x: f32, b0: Row16) -> Row16 {
  let x0 = vec4<f32>(x);
  return Row16(fma(x0, b0.c0, acc.c0), fma(x0, b0.c1, acc.c1), fma(x0, b0.c2, acc.c2), fma(x0, b0.c3, acc.c3));
}

/** c[at + j] = v[j] for the j with n + j < N. */
fn put4(at: u32, n: u32, v: vec4<f32>) {
  if (n < p.N) { c[at] = v.x; }
  if (n + 1u < p.N) { c[at + 1u] = v.y; }
  if (n + 2u < p.N) { c[at + 2u] = v.z; }
  if (n + 3u < p.N) { c[at + 3u] = v.w; }
}

/** Row m of the tile (columns n0 .. n0+15) plus the bias row bb into output matrix z, if it lies inside C. */
fn store(z: u32, m: u32, n0: u32, acc: Row16, bb: Row16) {
  if (m >= p.M) { return; }
  let at = (z * p.M + m) * p.N + n0;
  put4(at, n0, acc.c0 + bb.c0);
  put4(at + 4u, n0 + 4u, acc.c1 + bb.c1);
  put4(at + 8u, n0 + 8u, acc.c2 + bb.c2);
  put4(at + 12u, n0 + 12u, acc.c3 + bb.c3);
}

fn gatherBias(i: vec4<u32>) -> vec4<f32> {
  return vec4<f32>(bias[i.x], bias[i.y], bias[i.z], bias[i.w]);
}

/** bias[z·biasZ + n] for the tile's columns n0 .. n0+15 (clamped to N − 1; those past it are never stored). */
fn biasRow(z: u32, n0: u32) -> Row16 {
  let o = offs16(n0, p.N - 1u, 1u, z * p.biasZ);
  return Row16(gatherBias(o.o0), gatherBias(o.o1), gatherBias(o.o2), gatherBias(o.o3));
}

// DBIAS: the 16 rows' sums of the current chunk (.x .. .w: k ≡ 0 .. 3 mod 4), their chunk sums folded round-robin
// (.x .. .w: chunk ≡ 0 .. 3 mod 4, the chunks past the last multiple of 4 into .x), and the chunk's number.
var<private> dbAcc: array<vec4<f32>, 16>;
var<private> dbFold: array<vec4<f32>, 16>;
var<private> dbC: u32 = 0u;

/** Where row i of the tile (0 .. 15) starts in a. */
fn rowAt(rows: Offs16, i: u32) -> u32 {
  let q = i / 4u;
  return select(select(select(rows.o3, rows.o2, q == 2u), rows.o1, q == 1u), rows.o0, q == 0u)[i % 4u];
}

/** Ends a chunk: its 16 sums, (a0 + a1) + (a2 + a3) as reduce_sum's chunkSum, go into the fold. */
fn dbFoldChunk() {
  let full = p.dbChunks - p.dbChunks % 4u;
  let j = select(0u, dbC % 4u, dbC < full);
  for (var i = 0u; i < 16u; i++) {
    let s = dbAcc[i];
    dbFold[i][j] += (s.x + s.y) + (s.z + s.w);
    dbAcc[i] = vec4<f32>(0.0);
  }
  dbC++;
}

/** Four steps of k (k a multiple of 4) into the rows' sums. */
fn dbStep4(rows: Offs16, k: u32) {
  for (var i = 0u; i < 16u; i++) { dbAcc[i] += loadA4(rowAt(rows, i), k); }
  if ((k + 4u) % p.dbChunk == 0u) { dbFoldChunk(); }
}

/** One step of k past the last multiple of 4 (the last chunk's tail, into the first accumulator). */
fn dbStep1(rows: Offs16, k: u32) {
  for (var i = 0u; i < 16u; i++) { dbAcc[i].x += a[rowAt(rows, i) + k * p.sAk]; }
}

/** db for the tile's rows: the four fold accumulators summed as reduce_sum's second pass does. */
fn dbStore(z: u32, m0: u32) {
  if (p.K % p.dbChunk != 0u) { dbFoldChunk(); } // the last, partial chunk
  for (var i = 0u; i < 16u; i++) {
    let f = dbFold[i];
    if (m0 + i < p.M) { aux[z * p.M + m0 + i] = (f.x + f.y) + (f.z + f.w); }
  }
}

/** act: aux = act(c) over the tile just stored, act as unary.wgsl computes it (on a vec4; lanes are independent). */
fn actTile(z: u32, m0: u32, n0: u32) {
  for (var i = 0u; i < 16u && m0 + i < p.M; i++) {
    let at = (z * p.M + m0 + i) * p.N;
    for (var n = n0; n < min(n0 + 16u, p.N); n++) {
      let v = vec4<f32>(c[at + n]);
      var y = max(v, vec4<f32>(0.0)); // relu
      if (p.act == 9u) { y = v * normalCdf(v); }
      if (p.act == 6u) { y = tanhAccurate(v); }
      aux[at + n] = y.x;
    }
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let tilesN = (p.N + 15u) / 16u;
  let tilesM = (p.M + 15u) / 16u;
  let tile = gid.x + gid.y * nwg.x * WG;
  if (tile >= p.Z * tilesM * tilesN) { return; }
  let z = tile / (tilesM * tilesN);
  let r = tile - z * tilesM * tilesN;
  let m0 = (r / tilesN) * 16u;
  let n0 = (r % tilesN) * 16u;
  let K4 = p.K & ~3u; // k < K4 goes four at a time
  // Accumulators start at zero explicitly (declared once, outside every loop).
  let zero = vec4<f32>(0.0);
  var acc0 = Row16(zero, zero, zero, zero);
  var acc1 = acc0; var acc2 = acc0; var acc3 = acc0;
  var acc4 = acc0; var acc5 = acc0; var acc6 = acc0; var acc7 = acc0;
  var acc8 = acc0; var acc9 = acc0; var acc10 = acc0; var acc11 = acc0;
  var acc12 = acc0; var acc13 = acc0; var acc14 = acc0; var acc15 = acc0;
  let sumsRows = DBIAS && n0 == 0u; // S = 1 with DBIAS
  for (var s = 0u; s < p.S; s++) {
    let g = z * p.S + s;
    let rows = offs16(m0, p.M - 1u, p.sAm, g * p.batchA); // where rows m0 .. m0+15 of A_g start
    let cols = offs16(n0, p.N - 1u, p.sBn, g * p.batchB); // where columns n0 .. n0+15 of B_g start
    for (var k = 0u; k < K4; k += 4u) {
      let b0 = loadB(k, cols);
      let b1 = loadB(k + 1u, cols);
      let b2 = loadB(k + 2u, cols);
      let b3 = loadB(k + 3u, cols);
      acc0 = fma4(acc0, loadA4(rows.o0.x, k), b0, b1, b2, b3);
      acc1 = fma4(acc1, loadA4(rows.o0.y, k), b0, b1, b2, b3);
      acc2 = fma4(acc2, loadA4(rows.o0.z, k), b0, b1, b2, b3);
      acc3 = fma4(acc3, loadA4(rows.o0.w, k), b0, b1, b2, b3);
      acc4 = fma4(acc4, loadA4(rows.o1.x, k), b0, b1, b2, b3);
      acc5 = fma4(acc5, loadA4(rows.o1.y, k), b0, b1, b2, b3);
      acc6 = fma4(acc6, loadA4(rows.o1.z, k), b0, b1, b2, b3);
      acc7 = fma4(acc7, loadA4(rows.o1.w, k), b0, b1, b2, b3);
      acc8 = fma4(acc8, loadA4(rows.o2.x, k), b0, b1, b2, b3);
      acc9 = fma4(acc9, loadA4(rows.o2.y, k), b0, b1, b2, b3);
      acc10 = fma4(acc10, loadA4(rows.o2.z, k), b0, b1, b2, b3);
      acc11 = fma4(acc11, loadA4(rows.o2.w, k), b0, b1, b2, b3);
      acc12 = fma4(acc12, loadA4(rows.o3.x, k), b0, b1, b2, b3);
      acc13 = fma4(acc13, loadA4(rows.o3.y, k), b0, b1, b2, b3);
      acc14 = fma4(acc14, loadA4(rows.o3.z, k), b0, b1, b2, b3);
      acc15 = fma4(acc15, loadA4(rows.o3.w, k), b0, b1, b2, b3);
      if (sumsRows) { dbStep4(rows, k); }
    }
    for (var k = K4; k < p.K; k++) {
      let b0 = loadB(k, cols);
      let ks = k * p.sAk;
      acc0 = fma1(acc0, a[rows.o0.x + ks], b0);
      acc1 = fma1(acc1, a[rows.o0.y + ks], b0);
      acc2 = fma1(acc2, a[rows.o0.z + ks], b0);
      acc3 = fma1(acc3, a[rows.o0.w + ks], b0);
      acc4 = fma1(acc4, a[rows.o1.x + ks], b0);
      acc5 = fma1(acc5, a[rows.o1.y + ks], b0);
      acc6 = fma1(acc6, a[rows.o1.z + ks], b0);
      acc7 = fma1(acc7, a[rows.o1.w + ks], b0);
      acc8 = fma1(acc8, a[rows.o2.x + ks], b0);
      acc9 = fma1(acc9, a[rows.o2.y + ks], b0);
      acc10 = fma1(acc10, a[rows.o2.z + ks], b0);
      acc11 = fma1(acc11, a[rows.o2.w + ks], b0);
      acc12 = fma1(acc12, a[rows.o3.x + ks], b0);
      acc13 = fma1(acc13, a[rows.o3.y + ks], b0);
      acc14 = fma1(acc14, a[rows.o3.z + ks], b0);
      acc15 = fma1(acc15, a[rows.o3.w + ks], b0);
      if (sumsRows) { dbStep1(rows, k); }
    }
  }
  if (sumsRows) { dbStore(z, m0); }
  var bb = Row16(zero, zero, zero, zero);
  if (p.hasBias != 0u) { bb = biasRow(z, n0); }
  store(z, m0, n0, acc0, bb);
  store(z, m0 + 1u, n0, acc1, bb);
  store(z, m0 + 2u, n0, acc2, bb);
  store(z, m0 + 3u, n0, acc3, bb);
  store(z, m0 + 4u, n0, acc4, bb);
  store(z, m0 + 5u, n0, acc5, bb);
  store(z, m0 + 6u, n0, acc6, bb);
  store(z, m0 + 7u, n0, acc7, bb);
  store(z, m0 + 8u, n0, acc8, bb);
  store(z, m0 + 9u, n0, acc9, bb);
  store(z, m0 + 10u, n0, acc10, bb);
  store(z, m0 + 11u, n0, acc11, bb);
  store(z, m0 + 12u, n0, acc12, bb);
  store(z, m0 + 13u, n0, acc13, bb);
  store(z, m0 + 14u, n0, acc14, bb);
  store(z, m0 + 15u, n0, acc15, bb);
  if (p.act != 0u) { actTile(z, m0, n0); }
}
