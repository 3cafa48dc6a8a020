// attention_tiled: fused attention forward (the maths, masking and layout of attention_naive.wgsl) for head
// sizes Dh = 4·DH4 ≤ 64, one invocation per (b, h) and tile of 4 query rows, all held in registers:
//   for each kept key j:   load k_j and v_j once, then for each of the 4 queries
//     s = scale · q·k_j;  m' = max(m, s);  l = l·e^(m − m') + e^(s − m');  acc = acc·e^(m − m') + e^(s − m')·v_j
//   o = acc / l,  lse = (m, log l), kept apart (see attention_naive)   (a query with no kept key: o = 0, lse = 0)
// Differs from attention_naive by tiles of 4 query rows: each k_j and v_j load serves 4 queries, not 1, which
// measured 4-10× faster (docs/decisions/attention.md). Rows are straight-line code on structs, never arrays indexed in
// loops (SwiftShader keeps those in memory). Blocks past Dh (NB, DH4 are override constants) fold away at pipeline
// creation.
// Query rows past Tq in the last tile repeat the last row and are not stored.
//
// bindings: 0 uniform Params (rows = B·H; strides in vec4s)   1 q   2 k   3 v: array<vec4<f32>>
//           4 mask: array<f32> (B·Tk, 0 = masked; bound to q when MASKED = 0)   5 o: array<vec4<f32>>
//           6 lse: array<vec2<f32>>, 2 per query row: lse[2r] = (m, log Σ) (see attention_naive)
// dispatch: grid1d(B·H·ceil(Tq / 4), 64) workgroups of 64.

override DH4: u32 = 4u;
override MASKED: u32 = 0u;
override ATTN: u32 = 0u;
override CAUSAL: u32 = 0u;
override NB: u32 = (DH4 + 3u) / 4u; // 16-float blocks per row

const NEG = -3.0e38;
const Z = vec4<f32>(0.0);

struct Params {
  rows: u32, heads: u32, tq: u32, tk: u32,
  qsb: u32, qsh: u32, qst: u32,
  ksb: u32, ksh: u32, kst: u32,
  scale: f32, moff: u32, group: u32,
  vsb: u32, vsh: u32, vst: u32,
  osb: u32, osh: u32, ost: u32,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> q: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> k: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> v: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read> mask: array<f32>;
@group(0) @binding(5) var<storage, read_write> o: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read_write> lse: array<vec2<f32>>;
//#include "common/attention_mask.wgsl"

// ---------------------------------------------------------------------------------------- rows in registers

//#include "common/attention_rows.wgsl"

/** x·c + w·y */
fn mad16(x: D16, c: f32, w: f32, y: D16) -> D16 {
  return D16(x.a * c + w * y.a, x.b * c + w * y.b, x.c * c + w * y.c, x.d * c + w * y.d);
}
fn madRow(x: Row, c: f32, w: f32, y: Row) -> Row {
  var r = x;
  r.x0 = mad16(x.x0, c, w, y.x0);
  if (NB > 1u) { r.x1 = mad16(x.x1, c, w, y.x1); }
  if (NB > 2u) { r.x2 = mad16(x.x2, c, w, y.x2); }
  if (NB > 3u) { r.x3 = mad16(x.x3, c, w, y.x3); }
  return r;
}

// Loads of the block whose first vec4 is the row's `at`-th (a constant: 0, 4, 8, 12), zero past DH4.
fn q16(i: u32, at: u32) -> D16 {
  return D16(q[i], select(Z, q[i + 1u], at + 1u < DH4), select(Z, q[i + 2u], at + 2u < DH4), select(Z, q[i + 3u], at + 3u < DH4));
}
fn k16(i: u32, at: u32) -> D16 {
  return D16(k[i], select(Z, k[i + 1u], at + 1u < DH4), select(Z, k[i + 2u], at + 2u < DH4), select(Z, k[i + 3u], at + 3u < DH4));
}
fn v16(i: u32, at: u32) -> D16 {
  return D16(v[i], select(Z, v[i + 1u], at + 1u < DH4), select(Z, v[i + 2u], at + 2u < DH4), select(Z, v[i + 3u], at + 3u < DH4));
}
fn qRow(i: u32) -> Row {
  var r: Row;
  r.x0 = q16(i, 0u);
  if (NB > 1u) { r.x1 = q16(i + 4u, 4u); }
  if (NB > 2u) { r.x2 = q16(i + 8u, 8u); }
  if (NB > 3u) { r.x3 = q16(i + 12u, 12u); }
  return r;
}
fn kRow(i: u32) -> Row {
  var r: Row;
  r.x0 = k16(i, 0u);
  if (NB > 1u) { r.x1 = k16(i + 4u, 4u); }
  if (NB > 2u) { r.x2 = k16(i + 8u, 8u); }
  if (NB > 3u) { r.x3 = k16(i + 12u, 12u); }
  return r;
}
fn vRow(i: u32) -> Row {
  var r: Row;
  r.x0 = v16(i, 0u);
  if (NB > 1u) { r.x1 = v16(i + 4u, 4u); }
  if (NB > 2u) { r.x2 = v16(i + 8u, 8u); }
  if (NB > 3u) { r.x3 = v16(i + 12u, 12u); }
  return r;
}

/** o[i ..] = x·s for the block's vec4s below DH4. */
fn put16(i: u32, at: u32, x: D16, s: f32) {
  o[i] = x.a * s;
  if (at + 1u < DH4) { o[i + 1u] = x.b * s; }
  if (at + 2u < DH4) { o[i + 2u] = x.c * s; }
  if (at + 3u < DH4) { o[i + 3u] = x.d * s; }
}
fn putRow(i: u32, x: Row, s: f32) {
  put16(i, 0u, x.x0, s);
  if (NB > 1u) { put16(i + 4u, 4u, x.x1, s); }
  if (NB > 2u) { put16(i + 8u, 8u, x.x2, s); }
  if (NB > 3u) { put16(i + 12u, 12u, x.x3, s); }
}

// ------------------------------------------------------------------------------------------ online softmax

/** A query's running maximum m and sum l, and the last step's rescale c = e^(m_old − m) and weight w = e^(s − m). */
struct Run { m: f32, l: f32, c: f32, w: f32 }

fn step(r: Run, s: f32, bias: f32) -> Run {
  if (bias <= EXCLUDED) { return Run(r.m, r.l, 1.0, 0.0); } // this pair takes no part: leave the row as it is
  let m = max(r.m, s);
  let c = exp(r.m - m); // 0 at the first kept key (e^(−3e38 − s)), so the empty sums need no special case
  let w = exp(s - m);
  return Run(m, r.l * c + w, c, w);
}

/** Stores query row i (at offset `at`) if it exists: o = acc / l and its lse, or zeros with no kept key. */
fn finish(i: u32, at: u32, lrow: u32, acc: Row, r: Run) {
  if (i >= p.tq) { return; }
  putRow(at, acc, select(0.0, 1.0 / r.l, r.l > 0.0));
  lse[2u * lrow] = select(vec2<f32>(0.0), vec2<f32>(r.m, log(r.l)), r.l > 0.0);
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let tiles = (p.tq + 3u) / 4u;
  let g = gid.x + gid.y * nwg.x * 64u;
  if (g >= p.rows * tiles) { return; }
  let i0 = (g % tiles) * 4u;
  let bh = g / tiles;
  let h = bh % p.heads;
  let b = bh / p.heads;
  let qb = b * p.qsb + h * p.qsh;
  let kb = b * p.ksb + (h / p.group) * p.ksh; // query heads share k/v heads in groups (GQA)
  let last = p.tq - 1u;
  let at0 = qb + min(i0, last) * p.qst;
  let at1 = qb + min(i0 + 1u, last) * p.qst;
  let at2 = qb + min(i0 + 2u, last) * p.qst;
  let at3 = qb + min(i0 + 3u, last) * p.qst;
  let q0 = qRow(at0);
  let q1 = qRow(at1);
  let q2 = qRow(at2);
  let q3 = qRow(at3);
  var a0: Row;
  var a1: Row;
  var a2: Row;
  var a3: Row;
  var r0 = Run(NEG, 0.0, 0.0, 0.0);
  var r1 = r0;
  var r2 = r0;
  var r3 = r0;
  for (var j = 0u; j < p.tk; j++) {
    if (MASKED != 0u && mask[b * p.tk + j] == 0.0) { continue; }
    let ko = kb + j * p.kst;
    let kj = kRow(ko);
    let b0 = maskBias(b, h, min(i0, last), j);
    let b1 = maskBias(b, h, min(i0 + 1u, last), j);
    let b2 = maskBias(b, h, min(i0 + 2u, last), j);
    let b3 = maskBias(b, h, min(i0 + 3u, last), j);
    r0 = step(r0, dotRow(q0, kj) * p.scale + b0, b0);
    r1 = step(r1, dotRow(q1, kj) * p.scale + b1, b1);
    r2 = step(r2, dotRow(q2, kj) * p.scale + b2, b2);
    r3 = step(r3, dotRow(q3, kj) * p.scale + b3, b3);
    let vj = vRow(ko);
    a0 = madRow(a0, r0.c, r0.w, vj);
    a1 = madRow(a1, r1.c, r1.w, vj);
    a2 = madRow(a2, r2.c, r2.w, vj);
    a3 = madRow(a3, r3.c, r3.w, vj);
  }
  let lrow = bh * p.tq + i0;
  finish(i0, at0, lrow, a0, r0);
  finish(i0 + 1u, at1, lrow + 1u, a1, r1);
  finish(i0 + 2u, at2, lrow + 2u, a2, r2);
  finish(i0 + 3u, at3, lrow + 3u, a3, r3);
}
