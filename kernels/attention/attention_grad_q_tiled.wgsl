// attention_grad_q_tiled: fused attention backward for the queries (the maths, masking and layout of
// attention_grad_q_naive.wgsl) for Dh = 4·DH4 ≤ 64, one invocation per (b, h) and tile of 4 query rows, held in
// registers (see attention_tiled.wgsl for why tiles of 4 and straight-line rows):
//   D_i  = go_i · o_i  (saved beside m and ls for attention_grad_kv_tiled)
//   for each kept key j:  load k_j and v_j once, then for each of the 4 queries
//     dS = exp((scale · q_i·k_j − m_i) − ls_i) · (go_i·v_j − D_i);   acc_i += dS · k_j
//   dq_i = scale · acc_i
// A query with no kept key has (m, ls) = 0 and no terms: dq = 0, D = 0 (its o is 0).
//
// bindings: 0 uniform Params (rows = B·H; strides in vec4s)   1 q   2 k   3 v: array<vec4<f32>>
//           4 mask: array<f32> (bound to q when MASKED = 0)   5 o   6 go   7 dq: array<vec4<f32>>
//           8 lse: array<vec2<f32>>, per query row r: reads lse[2r] = (m, ls), writes lse[2r + 1] = (D, 0)
// dispatch: grid1d(B·H·ceil(Tq / 4), 64) workgroups of 64.

override DH4: u32 = 4u;
override MASKED: u32 = 0u;
override ATTN: u32 = 0u;
override CAUSAL: u32 = 0u;
override NB: u32 = (DH4 + 3u) / 4u; // 16-float blocks per row

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
@group(0) @binding(5) var<storage, read> o: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read> go: array<vec4<f32>>;
@group(0) @binding(7) var<storage, read_write> dq: array<vec4<f32>>;
@group(0) @binding(8) var<storage, read_write> lse: array<vec2<f32>>;
//#include "common/attention_mask.wgsl"

// ---------------------------------------------------------------------------------------- rows in registers

//#include "common/attention_rows.wgsl"

//#include "common/attention_axpy.wgsl"

// Loads of the block whose first vec4 is the row's `at`-th (a constant: 0, 4, 8, 12), zero past DH4; stores of
// x·s to the block's vec4s below DH4.
fn q16(i: u32, at: u32) -> D16 {
  return D16(q[i], select(Z, q[i + 1u], at + 1u < DH4), select(Z, q[i + 2u], at + 2u < DH4), select(Z, q[i + 3u], at + 3u < DH4));
}
fn k16(i: u32, at: u32) -> D16 {
  return D16(k[i], select(Z, k[i + 1u], at + 1u < DH4), select(Z, k[i + 2u], at + 2u < DH4), select(Z, k[i + 3u], at + 3u < DH4));
}
fn v16(i: u32, at: u32) -> D16 {
  return D16(v[i], select(Z, v[i + 1u], at + 1u < DH4), select(Z, v[i + 2u], at + 2u < DH4), select(Z, v[i + 3u], at + 3u < DH4));
}
fn o16(i: u32, at: u32) -> D16 {
  return D16(o[i], select(Z, o[i + 1u], at + 1u < DH4), select(Z, o[i + 2u], at + 2u < DH4), select(Z, o[i + 3u], at + 3u < DH4));
}
fn go16(i: u32, at: u32) -> D16 {
  return D16(go[i], select(Z, go[i + 1u], at + 1u < DH4), select(Z, go[i + 2u], at + 2u < DH4), select(Z, go[i + 3u], at + 3u < DH4));
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
fn oRow(i: u32) -> Row {
  var r: Row;
  r.x0 = o16(i, 0u);
  if (NB > 1u) { r.x1 = o16(i + 4u, 4u); }
  if (NB > 2u) { r.x2 = o16(i + 8u, 8u); }
  if (NB > 3u) { r.x3 = o16(i + 12u, 12u); }
  return r;
}
fn goRow(i: u32) -> Row {
  var r: Row;
  r.x0 = go16(i, 0u);
  if (NB > 1u) { r.x1 = go16(i + 4u, 4u); }
  if (NB > 2u) { r.x2 = go16(i + 8u, 8u); }
  if (NB > 3u) { r.x3 = go16(i + 12u, 12u); }
  return r;
}

fn dqPut16(i: u32, at: u32, x: D16, s: f32) {
  dq[i] = x.a * s;
  if (at + 1u < DH4) { dq[i + 1u] = x.b * s; }
  if (at + 2u < DH4) { dq[i + 2u] = x.c * s; }
  if (at + 3u < DH4) { dq[i + 3u] = x.d * s; }
}
fn dqPut(i: u32, x: Row, s: f32) {
  dqPut16(i, 0u, x.x0, s);
  if (NB > 1u) { dqPut16(i + 4u, 4u, x.x1, s); }
  if (NB > 2u) { dqPut16(i + 8u, 8u, x.x2, s); }
  if (NB > 3u) { dqPut16(i + 12u, 12u, x.x3, s); }
}

// ------------------------------------------------------------------------------------------------- main

/** One query row's state: q, go, lse, D and the dq accumulator. */
struct Query { q: Row, go: Row, l: vec2<f32>, d: f32, acc: Row }

fn query(at: u32, lrow: u32) -> Query {
  let g = goRow(at);
  var r: Query;
  r.q = qRow(at);
  r.go = g;
  r.l = lse[2u * lrow];
  r.d = dotRow(g, oRow(at));
  return r;
}

/** The key's contribution dS·k_j to one query. */
fn visit(x: Query, kj: Row, vj: Row, bias: f32) -> Query {
  var r = x;
  let keep = bias > EXCLUDED; // select, not a product with 0: an excluded pair's exp may overflow
  let ds = select(0.0, exp((dotRow(x.q, kj) * p.scale + bias - x.l.x) - x.l.y), keep) * (dotRow(x.go, vj) - x.d);
  r.acc = axpyRow(x.acc, ds, kj);
  return r;
}

fn finish(i: u32, at: u32, lrow: u32, x: Query) {
  if (i >= p.tq) { return; }
  dqPut(at, x.acc, p.scale);
  lse[2u * lrow + 1u] = vec2<f32>(x.d, 0.0);
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
  let lrow = bh * p.tq;
  let at0 = qb + min(i0, last) * p.qst;
  let at1 = qb + min(i0 + 1u, last) * p.qst;
  let at2 = qb + min(i0 + 2u, last) * p.qst;
  let at3 = qb + min(i0 + 3u, last) * p.qst;
  var x0 = query(at0, lrow + min(i0, last));
  var x1 = query(at1, lrow + min(i0 + 1u, last));
  var x2 = query(at2, lrow + min(i0 + 2u, last));
  var x3 = query(at3, lrow + min(i0 + 3u, last));
  for (var j = 0u; j < p.tk; j++) {
    if (MASKED != 0u && mask[b * p.tk + j] == 0.0) { continue; }
    let ko = kb + j * p.kst;
    let kj = kRow(ko);
    let vj = vRow(ko);
    x0 = visit(x0, kj, vj, maskBias(b, h, min(i0, last), j));
    x1 = visit(x1, kj, vj, maskBias(b, h, min(i0 + 1u, last), j));
    x2 = visit(x2, kj, vj, maskBias(b, h, min(i0 + 2u, last), j));
    x3 = visit(x3, kj, vj, maskBias(b, h, min(i0 + 3u, last), j));
  }
  finish(i0, at0, lrow + i0, x0);
  finish(i0 + 1u, at1, lrow + i0 + 1u, x1);
  finish(i0 + 2u, at2, lrow + i0 + 2u, x2);
  finish(i0 + 3u, at3, lrow + i0 + 3u, x3);
}
