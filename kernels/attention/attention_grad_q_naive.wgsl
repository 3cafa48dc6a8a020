// attention_grad_q_naive: fused attention backward for the queries, scalar loads (any Dh), one invocation per query row
// (b, h, i) and chunk of dims, in gather form (each dq element is written by one invocation; no atomics):
//   D_i   = Σ_d go_i · o_i                                 (= Σ_j P_ij dP_ij; saved beside m and ls for attention_grad_kv_naive)
//   P_ij  = exp((scale · q_i · k_j + bias_ij − m_i) − ls_i), 0 for an excluded pair (from the forward's m and ls = log Σ)
//   dS_ij = P_ij · (go_i · v_j − D_i)
//   dq_i  = scale · Σ_j dS_ij k_j
// A fully masked row has every P_ij = 0, so dq_i = 0 (and D_i = 0, since its o_i = 0).
// Strides and layout as in attention_naive.wgsl: q and dq have the q strides, o and go the o strides, k the k
// strides, v the v strides.
// The obviously-right version of attention_grad_q_tiled.wgsl (which runs when Dh % 4 = 0 and Dh ≤ 64), and the path for every
// other head size: one row per invocation, plain loops.
//
// bindings: 0 uniform Params   1 q   2 k   3 v   4 mask (bound to q when MASKED = 0)   5 o   6 go (o's shape)
//           7 dq (q's shape)   8 lse: per query row r, reads lse[2r] = (m, ls) and writes lse[2r + 1] = (D, 0)
// dispatch: grid1d(B·H·Tq·nch, 64) workgroups of 64, nch = ceil(DH / CH).

override DH: u32 = 16u;
override DV: u32 = 16u; // the value head size (o, go, v, dv); DH is q's and k's
override CH: u32 = 16u;
override MASKED: u32 = 0u;
override ATTN: u32 = 0u;
override CAUSAL: u32 = 0u;

const MAXCH = 64u;

struct Params {
  rows: u32, heads: u32, tq: u32, tk: u32,
  qsb: u32, qsh: u32, qst: u32,
  ksb: u32, ksh: u32, kst: u32,
  scale: f32, moff: u32, group: u32,
  vsb: u32, vsh: u32, vst: u32,
  osb: u32, osh: u32, ost: u32,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> q: array<f32>;
@group(0) @binding(2) var<storage, read> k: array<f32>;
@group(0) @binding(3) var<storage, read> v: array<f32>;
@group(0) @binding(4) var<storage, read> mask: array<f32>;
@group(0) @binding(5) var<storage, read> o: array<f32>;
@group(0) @binding(6) var<storage, read> go: array<f32>;
@group(0) @binding(7) var<storage, read_write> dq: array<f32>;
@group(0) @binding(8) var<storage, read_write> lse: array<vec2<f32>>;
//#include "common/attention_mask.wgsl"

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let g = gid.x + gid.y * nwg.x * 64u;
  let nch = (DH + CH - 1u) / CH;
  if (g >= p.rows * nch) { return; }
  let r = g % p.rows;
  let d0 = (g / p.rows) * CH;
  let i = r % p.tq;
  let bh = r / p.tq;
  let h = bh % p.heads;
  let b = bh / p.heads;
  let qo = b * p.qsb + h * p.qsh + i * p.qst;
  let kb = b * p.ksb + (h / p.group) * p.ksh; // query heads share k/v heads in groups (GQA)
  let vb = b * p.vsb + (h / p.group) * p.vsh;
  let oo = b * p.osb + h * p.osh + i * p.ost;

  var di = 0.0;
  for (var d = 0u; d < DV; d++) { di += go[oo + d] * o[oo + d]; }
  let li = lse[2u * r];
  var acc: array<f32, MAXCH>;
  for (var j = 0u; j < p.tk; j++) {
    let bj = maskBias(b, h, i, j);
    if (bj <= EXCLUDED) { continue; }
    let ko = kb + j * p.kst;
    var s = 0.0;
    var dp = 0.0;
    let vo = vb + j * p.vst;
    for (var d = 0u; d < DH; d++) { s += q[qo + d] * k[ko + d]; }
    for (var d = 0u; d < DV; d++) { dp += go[oo + d] * v[vo + d]; }
    let ds = exp((s * p.scale + bj - li.x) - li.y) * (dp - di);
    for (var e = 0u; e < CH; e++) {
      if (d0 + e < DH) { acc[e] += ds * k[ko + d0 + e]; }
    }
  }
  for (var e = 0u; e < CH; e++) {
    if (d0 + e < DH) { dq[qo + d0 + e] = acc[e] * p.scale; }
  }
  if (d0 == 0u) { lse[2u * r + 1u] = vec2<f32>(di, 0.0); }
}
