// attention_grad_kv_tiled: fused attention backward for the keys and values (the maths, masking and layout of
// attention_grad_kv_naive.wgsl) for Dh = 4·DH4 ≤ 64, one invocation per (b, h) and tile of 4 key rows, held in registers
// (see attention_tiled.wgsl for why tiles of 4 and straight-line rows):
//   for each query i:  load q_i and go_i once (and m_i, ls_i, D_i from attention_grad_q_tiled), then for each of the 4 keys
//     P = exp((scale · q_i·k_j − m_i) − ls_i), 0 for a masked key;   dS = P · (go_i·v_j − D_i)
//     dk_j += dS · q_i;   dv_j += P · go_i
//   dk_j = scale · (that sum)
// A masked key takes no part in any softmax: dk = dv = 0.
//
// bindings: 0 uniform Params (rows = B·Hkv; strides in vec4s)   1 q   2 k   3 v: array<vec4<f32>>
//           4 mask: array<f32> (bound to q when MASKED = 0)   5 lse: array<vec2<f32>>, per query row r: lse[2r] = (m, ls),
//           lse[2r + 1] = (D, 0)   6 go   7 dk   8 dv: array<vec4<f32>>
// dispatch: grid1d(B·Hkv·ceil(Tk / 4), 64) workgroups of 64.

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
@group(0) @binding(5) var<storage, read> lse: array<vec2<f32>>;
@group(0) @binding(6) var<storage, read> go: array<vec4<f32>>;
@group(0) @binding(7) var<storage, read_write> dk: array<vec4<f32>>;
@group(0) @binding(8) var<storage, read_write> dv: array<vec4<f32>>;
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
fn goRow(i: u32) -> Row {
  var r: Row;
  r.x0 = go16(i, 0u);
  if (NB > 1u) { r.x1 = go16(i + 4u, 4u); }
  if (NB > 2u) { r.x2 = go16(i + 8u, 8u); }
  if (NB > 3u) { r.x3 = go16(i + 12u, 12u); }
  return r;
}

fn dkPut16(i: u32, at: u32, x: D16, s: f32) {
  dk[i] = x.a * s;
  if (at + 1u < DH4) { dk[i + 1u] = x.b * s; }
  if (at + 2u < DH4) { dk[i + 2u] = x.c * s; }
  if (at + 3u < DH4) { dk[i + 3u] = x.d * s; }
}
fn dkPut(i: u32, x: Row, s: f32) {
  dkPut16(i, 0u, x.x0, s);
  if (NB > 1u) { dkPut16(i + 4u, 4u, x.x1, s); }
  if (NB > 2u) { dkPut16(i + 8u, 8u, x.x2, s); }
  if (NB > 3u) { dkPut16(i + 12u, 12u, x.x3, s); }
}
fn dvPut16(i: u32, at: u32, x: D16, s: f32) {
  dv[i] = x.a * s;
  if (at + 1u < DH4) { dv[i + 1u] = x.b * s; }
  if (at + 2u < DH4) { dv[i + 2u] = x.c * s; }
  if (at + 3u < DH4) { dv[i + 3u] = x.d * s; }
}
fn dvPut(i: u32, x: Row, s: f32) {
  dvPut16(i, 0u, x.x0, s);
  if (NB > 1u) { dvPut16(i + 4u, 4u, x.x1, s); }
  if (NB > 2u) { dvPut16(i + 8u, 8u, x.x2, s); }
  if (NB > 3u) { dvPut16(i + 12u, 12u, x.x3, s); }
}

// ------------------------------------------------------------------------------------------------- main

/** One key row's state: k, v, whether it is kept, and the dk and dv accumulators. */
struct Key { k: Row, v: Row, keep: bool, dk: Row, dv: Row }

fn key(at: u32, b: u32, j: u32) -> Key {
  var r: Key;
  r.k = kRow(at);
  r.v = vRow(at);
  r.keep = MASKED == 0u || mask[b * p.tk + j] != 0.0;
  return r;
}

/** Query i's contribution to one key (select, not a product with 0: a masked key's exp may overflow). */
fn visit(x: Key, qi: Row, gi: Row, li: vec2<f32>, di: f32, bias: f32) -> Key {
  var r = x;
  let pr = select(0.0, exp((dotRow(qi, x.k) * p.scale + bias - li.x) - li.y), x.keep && bias > EXCLUDED);
  let ds = pr * (dotRow(gi, x.v) - di);
  r.dk = axpyRow(x.dk, ds, qi);
  r.dv = axpyRow(x.dv, pr, gi);
  return r;
}

fn finish(j: u32, at: u32, x: Key) {
  if (j >= p.tk) { return; }
  dkPut(at, x.dk, p.scale);
  dvPut(at, x.dv, 1.0);
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let tiles = (p.tk + 3u) / 4u;
  let g = gid.x + gid.y * nwg.x * 64u;
  if (g >= p.rows * tiles) { return; }
  let j0 = (g % tiles) * 4u;
  let hkv = p.heads / p.group;
  let bh = g / tiles; // (b, k/v head)
  let hk = bh % hkv;
  let b = bh / hkv;
  let kb = b * p.ksb + hk * p.ksh;
  let last = p.tk - 1u;
  let at0 = kb + min(j0, last) * p.kst;
  let at1 = kb + min(j0 + 1u, last) * p.kst;
  let at2 = kb + min(j0 + 2u, last) * p.kst;
  let at3 = kb + min(j0 + 3u, last) * p.kst;
  var x0 = key(at0, b, min(j0, last));
  var x1 = key(at1, b, min(j0 + 1u, last));
  var x2 = key(at2, b, min(j0 + 2u, last));
  var x3 = key(at3, b, min(j0 + 3u, last));
  if (x0.keep || x1.keep || x2.keep || x3.keep) {
    // Every query head of the k/v head's group (GQA; one head without it) reads these keys: loop over (head, query).
    for (var n = 0u; n < p.group * p.tq; n++) {
      let i = n % p.tq;
      let h = hk * p.group + n / p.tq;
      let qo = b * p.qsb + h * p.qsh + i * p.qst;
      let qi = qRow(qo);
      let gi = goRow(qo);
      let ri = (b * p.heads + h) * p.tq + i;
      let li = lse[2u * ri];
      let di = lse[2u * ri + 1u].x;
      x0 = visit(x0, qi, gi, li, di, maskBias(b, h, i, min(j0, last)));
      x1 = visit(x1, qi, gi, li, di, maskBias(b, h, i, min(j0 + 1u, last)));
      x2 = visit(x2, qi, gi, li, di, maskBias(b, h, i, min(j0 + 2u, last)));
      x3 = visit(x3, qi, gi, li, di, maskBias(b, h, i, min(j0 + 3u, last)));
    }
  }
  finish(j0, at0, x0);
  finish(j0 + 1u, at1, x1);
  finish(j0 + 2u, at2, x2);
  finish(j0 + 3u, at3, x3);
}
