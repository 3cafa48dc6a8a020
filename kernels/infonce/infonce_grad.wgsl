// infonce_grad: the InfoNCE backward to the normalised rows, dxhat = d loss / d x̂ for every row of xhat = [â; p̂; n̂],
// from G = d(mean loss)/d(logits) / τ (written in place of the logits by infonce_rows.wgsl, (N, C)) and the upstream
// scalar gradient gy. With the Q shared candidates ĉ_q = xhat[cbase + q] in columns off + q (see
// infonce_logits.wgsl):
//   anchors (region A):      dâ_i = gy · ( Σ_q G[i, off + q] ĉ_q  +  [INBATCH 0] G[i, 0] p̂_i )
//   candidates (region B):   dĉ_q = gy · Σ_i G[i, off + q] â_i
//   INBATCH 0 positives (C): dp̂_i = gy · G[i, 0] â_i
// Each invocation computes a tile of 8 output rows × 8 floats in 16 named vec4 registers (Row8 per output row; see
// infonce_logits.wgsl on why not an array): per step of the reduction it loads 8 elements of G and 8 floats of one
// row of xhat for 64 multiply-adds. Rows past the edge repeat the last valid one and are not stored.
//
// bindings: 0 uniform { n, q, c, ds4, cbase, off, chunks, tilesN, tilesQ, rows: u32, pscale: f32 }
//           1 xhat: array<vec4<f32>>   2 g: array<f32> (P·N·C)   3 gy: array<f32> (1)
//           4 dxhat: array<vec4<f32>> (P·(2N + M)·ds4)
//   chunks = ds4 / 2 (8 floats each; ds4 is a multiple of 4);  tilesN = ceil(N / 8);  tilesQ = ceil(Q / 8);
//   rows = 2N + M;  pscale: what the loss multiplies the problems' summed means by (1 for one problem), so each
//   problem's upstream gradient is gy · pscale, as a separate call's would be after that scale's own backward.
// constants: INBATCH = 0 or 1.
// dispatch: grid1d((tilesN + tilesQ + (INBATCH 0 ? tilesN : 0))·chunks, 16) workgroups of 16, times P along z;
//           invocation → (tile, chunk) = (id / chunks, id % chunks) of problem gid.z (block gid.z of xhat, g, dxhat).

override INBATCH: u32 = 1u;

struct Params {
  n: u32, q: u32, c: u32, ds4: u32, cbase: u32, off: u32, chunks: u32, tilesN: u32, tilesQ: u32, rows: u32, pscale: f32
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> xhat: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> g: array<f32>;
@group(0) @binding(3) var<storage, read> gy: array<f32>;
@group(0) @binding(4) var<storage, read_write> dxhat: array<vec4<f32>>;

/** The problem this invocation works on (gid.z): load8 and store address its block. */
var<private> pb: u32;

/** Eight floats of one output row. */
struct Row8 { lo: vec4<f32>, hi: vec4<f32> }

fn fma8(acc: Row8, w: f32, x: Row8) -> Row8 {
  let v = vec4<f32>(w);
  return Row8(fma(v, x.lo, acc.lo), fma(v, x.hi, acc.hi));
}

/** Floats 4·k4 .. 4·k4 + 7 of xhat row r of problem pb. */
fn load8(r: u32, k4: u32) -> Row8 {
  let b = (pb * p.rows + r) * p.ds4 + k4;
  return Row8(xhat[b], xhat[b + 1u]);
}

/** dxhat row r, floats 4·k4 .. + 7 = s · v, if r is below `limit` (the end of its region). */
fn store(r: u32, limit: u32, k4: u32, s: f32, v: Row8) {
  if (r >= limit) { return; }
  let b = (pb * p.rows + r) * p.ds4 + k4;
  dxhat[b] = s * v.lo;
  dxhat[b + 1u] = s * v.hi;
}

@compute @workgroup_size(16)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let id = gid.x + gid.y * nwg.x * 16u;
  let tiles = p.tilesN + p.tilesQ + select(p.tilesN, 0u, INBATCH == 1u);
  if (id >= tiles * p.chunks) { return; }
  let t = id / p.chunks;
  let k4 = (id % p.chunks) * 2u;
  pb = gid.z;
  let s = gy[0] * p.pscale;
  let g0 = pb * p.n * p.c; // the problem's block of g
  let step = vec4<u32>(0u, 1u, 2u, 3u);
  let z = Row8(vec4<f32>(0.0), vec4<f32>(0.0));
  var r0 = z; var r1 = z; var r2 = z; var r3 = z; var r4 = z; var r5 = z; var r6 = z; var r7 = z;

  if (t < p.tilesN) {
    // Region A, anchors i0 .. i0 + 7: rows of G against the shared candidates.
    let i0 = t * 8u;
    let li = vec4<u32>(p.n - 1u);
    let gLo = vec4<u32>(g0) + min(vec4<u32>(i0) + step, li) * p.c + p.off;
    let gHi = vec4<u32>(g0) + min(vec4<u32>(i0 + 4u) + step, li) * p.c + p.off;
    for (var j = 0u; j < p.q; j++) {
      let cv = load8(p.cbase + j, k4);
      r0 = fma8(r0, g[gLo.x + j], cv);
      r1 = fma8(r1, g[gLo.y + j], cv);
      r2 = fma8(r2, g[gLo.z + j], cv);
      r3 = fma8(r3, g[gLo.w + j], cv);
      r4 = fma8(r4, g[gHi.x + j], cv);
      r5 = fma8(r5, g[gHi.y + j], cv);
      r6 = fma8(r6, g[gHi.z + j], cv);
      r7 = fma8(r7, g[gHi.w + j], cv);
    }
    if (INBATCH == 0u) {
      // Each anchor's own positive, column 0 (rows past N read row N − 1's and are not stored).
      let last = p.n - 1u;
      r0 = fma8(r0, g[g0 + min(i0, last) * p.c], load8(p.n + min(i0, last), k4));
      r1 = fma8(r1, g[g0 + min(i0 + 1u, last) * p.c], load8(p.n + min(i0 + 1u, last), k4));
      r2 = fma8(r2, g[g0 + min(i0 + 2u, last) * p.c], load8(p.n + min(i0 + 2u, last), k4));
      r3 = fma8(r3, g[g0 + min(i0 + 3u, last) * p.c], load8(p.n + min(i0 + 3u, last), k4));
      r4 = fma8(r4, g[g0 + min(i0 + 4u, last) * p.c], load8(p.n + min(i0 + 4u, last), k4));
      r5 = fma8(r5, g[g0 + min(i0 + 5u, last) * p.c], load8(p.n + min(i0 + 5u, last), k4));
      r6 = fma8(r6, g[g0 + min(i0 + 6u, last) * p.c], load8(p.n + min(i0 + 6u, last), k4));
      r7 = fma8(r7, g[g0 + min(i0 + 7u, last) * p.c], load8(p.n + min(i0 + 7u, last), k4));
    }
    store(i0, p.n, k4, s, r0); store(i0 + 1u, p.n, k4, s, r1); store(i0 + 2u, p.n, k4, s, r2);
    store(i0 + 3u, p.n, k4, s, r3); store(i0 + 4u, p.n, k4, s, r4); store(i0 + 5u, p.n, k4, s, r5);
    store(i0 + 6u, p.n, k4, s, r6); store(i0 + 7u, p.n, k4, s, r7);
    return;
  }

  if (t < p.tilesN + p.tilesQ) {
    // Region B, shared candidates q0 .. q0 + 7: columns of G against the anchors.
    let q0 = (t - p.tilesN) * 8u;
    let lq = vec4<u32>(p.q - 1u);
    let cLo = vec4<u32>(p.off) + min(vec4<u32>(q0) + step, lq);
    let cHi = vec4<u32>(p.off) + min(vec4<u32>(q0 + 4u) + step, lq);
    for (var i = 0u; i < p.n; i++) {
      let av = load8(i, k4);
      let gb = g0 + i * p.c;
      r0 = fma8(r0, g[gb + cLo.x], av);
      r1 = fma8(r1, g[gb + cLo.y], av);
      r2 = fma8(r2, g[gb + cLo.z], av);
      r3 = fma8(r3, g[gb + cLo.w], av);
      r4 = fma8(r4, g[gb + cHi.x], av);
      r5 = fma8(r5, g[gb + cHi.y], av);
      r6 = fma8(r6, g[gb + cHi.z], av);
      r7 = fma8(r7, g[gb + cHi.w], av);
    }
    let b = p.cbase + q0;
    let end = p.cbase + p.q;
    store(b, end, k4, s, r0); store(b + 1u, end, k4, s, r1); store(b + 2u, end, k4, s, r2);
    store(b + 3u, end, k4, s, r3); store(b + 4u, end, k4, s, r4); store(b + 5u, end, k4, s, r5);
    store(b + 6u, end, k4, s, r6); store(b + 7u, end, k4, s, r7);
    return;
  }

  // Region C (INBATCH 0 only), positives of anchors i0 .. i0 + 7: each seen by its own anchor alone.
  let i0 = (t - p.tilesN - p.tilesQ) * 8u;
  for (var r = 0u; r < 8u; r++) {
    let i = i0 + r;
    if (i >= p.n) { break; }
    store(p.n + i, 2u * p.n, k4, s * g[g0 + i * p.c], load8(i, k4));
  }
}
