// infonce_logits: the similarity logits of the InfoNCE loss, logits[i, off + q] = â_i · ĉ_q / τ, for the N anchors
// and the Q candidates that every anchor shares, on the rows normalised by infonce_normalize.wgsl
// (xhat = [â; p̂; n̂], row stride ds floats, zero-padded to a multiple of 16):
//   INBATCH 1: the candidates are [p̂; n̂] (xhat rows N .. 2N + M), Q = N + M, off = 0 (C = N + M columns);
//   INBATCH 0: the candidates are n̂ (rows 2N ..), Q = M, off = 1; column 0, each anchor's own positive, is filled
//              in by infonce_rows.wgsl.
// Each invocation computes an 8 × 8 tile (8 anchors × 8 candidates) held in 16 named vec4 registers (Row8 per
// anchor): per element k it loads 8 anchor and 8 candidate values for 64 multiply-adds, since on SwiftShader loads,
// not fma, are what costs (docs/decisions/contrastive.md). Anchors and candidates past the edge repeat the last valid
// row and are not stored, so the loop has no bounds checks.
//
// bindings: 0 uniform { n, q, c, ds, d, cbase, off, tilesQ, rows: u32, inv_tau: f32 }   1 xhat: array<f32>
//           2 logits: array<f32> (P·N·C)
//   d: the true width (the loop stops there; the padding is zero);  cbase: xhat row of candidate 0;
//   tilesQ = ceil(Q / 8);  rows = 2N + M, xhat rows per problem.
// dispatch: grid1d(ceil(N / 8)·tilesQ, 16) workgroups of 16, times P along z; invocation → (anchor tile, candidate
//           tile) of problem gid.z, whose rows are block gid.z of xhat and whose logits are block gid.z (N·C).

struct Params { n: u32, q: u32, c: u32, ds: u32, d: u32, cbase: u32, off: u32, tilesQ: u32, rows: u32, inv_tau: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> xhat: array<f32>;
@group(0) @binding(2) var<storage, read_write> logits: array<f32>;

/** Eight values along the candidates: one anchor's row of the tile. */
struct Row8 { lo: vec4<f32>, hi: vec4<f32> }

fn fma8(acc: Row8, x: f32, c: Row8) -> Row8 {
  let v = vec4<f32>(x);
  return Row8(fma(v, c.lo, acc.lo), fma(v, c.hi, acc.hi));
}

/** Stores anchor i's row of the tile: columns off + q0 .. off + q0 + 7, those with q < Q. */
fn store(pb: u32, i: u32, q0: u32, row: Row8) {
  if (i >= p.n) { return; }
  let base = (pb * p.n + i) * p.c + p.off + q0;
  let v = array<f32, 8>(row.lo.x, row.lo.y, row.lo.z, row.lo.w, row.hi.x, row.hi.y, row.hi.z, row.hi.w);
  let valid = min(8u, p.q - q0);
  for (var c = 0u; c < valid; c++) { logits[base + c] = v[c] * p.inv_tau; }
}

@compute @workgroup_size(16)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let id = gid.x + gid.y * nwg.x * 16u;
  let tilesN = (p.n + 7u) / 8u;
  if (id >= tilesN * p.tilesQ) { return; }
  let i0 = (id / p.tilesQ) * 8u;
  let q0 = (id % p.tilesQ) * 8u;
  // Row offsets of the 8 anchors and the 8 candidates, clamped to the last valid row.
  let li = vec4<u32>(p.n - 1u);
  let lq = vec4<u32>(p.q - 1u);
  let step = vec4<u32>(0u, 1u, 2u, 3u);
  let pb = gid.z;
  let x0 = vec4<u32>(pb * p.rows); //                                        the problem's first xhat row
  let aLo = (x0 + min(vec4<u32>(i0) + step, li)) * p.ds;
  let aHi = (x0 + min(vec4<u32>(i0 + 4u) + step, li)) * p.ds;
  let cLo = (x0 + vec4<u32>(p.cbase) + min(vec4<u32>(q0) + step, lq)) * p.ds;
  let cHi = (x0 + vec4<u32>(p.cbase) + min(vec4<u32>(q0 + 4u) + step, lq)) * p.ds;
  let z = Row8(vec4<f32>(0.0), vec4<f32>(0.0));
  var r0 = z; var r1 = z; var r2 = z; var r3 = z; var r4 = z; var r5 = z; var r6 = z; var r7 = z;
  for (var k = 0u; k < p.d; k++) {
    let cv = Row8(vec4<f32>(xhat[cLo.x + k], xhat[cLo.y + k], xhat[cLo.z + k], xhat[cLo.w + k]),
                  vec4<f32>(xhat[cHi.x + k], xhat[cHi.y + k], xhat[cHi.z + k], xhat[cHi.w + k]));
    r0 = fma8(r0, xhat[aLo.x + k], cv);
    r1 = fma8(r1, xhat[aLo.y + k], cv);
    r2 = fma8(r2, xhat[aLo.z + k], cv);
    r3 = fma8(r3, xhat[aLo.w + k], cv);
    r4 = fma8(r4, xhat[aHi.x + k], cv);
    r5 = fma8(r5, xhat[aHi.y + k], cv);
    r6 = fma8(r6, xhat[aHi.z + k], cv);
    r7 = fma8(r7, xhat[aHi.w + k], cv);
  }
  store(pb, i0, q0, r0); store(pb, i0 + 1u, q0, r1); store(pb, i0 + 2u, q0, r2); store(pb, i0 + 3u, q0, r3);
  store(pb, i0 + 4u, q0, r4); store(pb, i0 + 5u, q0, r5); store(pb, i0 + 6u, q0, r6); store(pb, i0 + 7u, q0, r7);
}
