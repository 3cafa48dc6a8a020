// attention_grad_kv_naive: fused attention backward for the keys and values, scalar loads (any Dh), one invocation per key
// row (b, h, j) and chunk of dims, in gather form (a loop over the queries; no atomics):
//   P_ij  = exp((scale · q_i · k_j + bias_ij − m_i) − ls_i), 0 for an excluded pair (from the forward's m and ls = log Σ)
//   dS_ij = P_ij · (go_i · v_j − D_i)                      (D from attention_grad_q_naive, which runs first)
//   dk_j  = scale · Σ_i dS_ij q_i,   dv_j = Σ_i P_ij go_i
// A masked key takes no part in any softmax: dk_j = dv_j = 0.
// Strides and layout as in attention_naive.wgsl: q has the q strides, go the o strides, k and dk the k strides, v and
// dv the v strides (their head size DV may differ from DH).
// The obviously-right version of attention_grad_kv_tiled.wgsl (which runs when Dh % 4 = 0 and Dh ≤ 64), and the path for every
// other head size: one row per invocation, plain loops.
//
// bindings: 0 uniform Params (rows = B·Hkv·Tk here)   1 q   2 k   3 v   4 mask (bound to q when MASKED = 0)
//           5 lse: per query row r, lse[2r] = (m, ls) and lse[2r + 1] = (D, 0)   6 go   7 dk (k's shape)   8 dv (v's shape)
// dispatch: grid1d(B·Hkv·Tk·nch, 64) workgroups of 64, nch = ceil(max(DH, DV) / CH).

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
@group(0) @binding(5) var<storage, read> lse: array<vec2<f32>>;
@group(0) @binding(6) var<storage, read> go: array<f32>;
@group(0) @binding(7) var<storage, read_write> dk: array<f32>;
@group(0) @binding(8) var<storage, read_write> dv: array<f32>;
//#include "common/attention_mask.wgsl"

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let g = gid.x + gid.y * nwg.x * 64u;
  let nch = (max(DH, DV) + CH - 1u) / CH;
  if (g >= p.rows * nch) { return; }
  let r = g % p.rows;
  let d0 = (g / p.rows) * CH;
  let j = r % p.tk;
  let hkv = p.heads / p.group;
  let bh = r / p.tk; // (b, k/v head)
  let hk = bh % hkv;
  let b = bh / hkv;
  let ko = b * p.ksb + hk * p.ksh + j * p.kst;
  let vo = b * p.vsb + hk * p.vsh + j * p.vst;

  var ak: array<f32, MAXCH>;
  var av: array<f32, MAXCH>;
  if (MASKED == 0u || mask[b * p.tk + j] != 0.0) {
    // Every query head of the k/v head's group (GQA; one head without it) reads this key: loop over (head, query).
    for (var n = 0u; n < p.group * p.tq; n++) {
      let i = n % p.tq;
      let h = hk * p.group + n / p.tq;
      let qo = b * p.qsb + h * p.qsh + i * p.qst;
      let ri = (b * p.heads + h) * p.tq + i;
      let oo = b * p.osb + h * p.osh + i * p.ost;
      let bj = maskBias(b, h, i, j);
      if (bj <= EXCLUDED) { continue; }
      var s = 0.0;
      var dp = 0.0;
      for (var d = 0u; d < DH; d++) { s += q[qo + d] * k[ko + d]; }
      for (var d = 0u; d < DV; d++) { dp += go[oo + d] * v[vo + d]; }
      let li = lse[2u * ri];
      let pr = exp((s * p.scale + bj - li.x) - li.y);
      let ds = pr * (dp - lse[2u * ri + 1u].x);
      for (var e = 0u; e < CH; e++) {
        if (d0 + e < DH) { ak[e] += ds * q[qo + d0 + e]; }
        if (d0 + e < DV) { av[e] += pr * go[oo + d0 + e]; }
      }
    }
  }
  for (var e = 0u; e < CH; e++) {
    if (d0 + e < DH) { dk[ko + d0 + e] = ak[e] * p.scale; }
    if (d0 + e < DV) { dv[vo + d0 + e] = av[e]; }
  }
}
