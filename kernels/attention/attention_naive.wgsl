// attention_naive: fused scaled dot-product attention forward, scalar loads (any head size Dh), one invocation per
// query row (b, h, i) and chunk of output dims:
//   s_j  = scale · q_i · k_j + bias_ij            for every key j that takes part (common/attention_mask.wgsl)
//   o_i  = Σ_j exp(s_j − m) · v_j / Σ_j exp(s_j − m),   m = max_j s_j   (online: one pass over the keys, rescaling
//                                                       the running sums whenever the maximum grows)
//   lse_i = (m, log Σ_j exp(s_j − m))            saved for the backward, which recomputes P as exp((s − m) − log Σ):
//                                                not summed into one m + log Σ, which near |s| ~ 1e4 rounds to 1e-3
// A row whose keys are all masked has no softmax: it writes o_i = 0 and lse_i = (0, 0) (the backward masks P there too).
// Scores are recomputed per chunk of CH output dims (only when Dh > 64: the accumulator is CH floats of registers).
// The obviously-right version of attention_tiled.wgsl (which runs when Dh % 4 = 0 and Dh ≤ 64), and the path for every
// other head size: one row per invocation, plain loops.
//
// Layout: every tensor is addressed through element strides (b, h, t) with the Dh axis contiguous, so the same
// kernel reads (B, H, T, Dh) and (B, T, H, Dh) storage. q, k, v and o each have
// their own strides (v and o have the value head size DV, which may differ from DH).
//
// bindings: 0 uniform Params   1 q   2 k   3 v   4 mask: (B·Tk), 0 = masked (bound to q when MASKED = 0)
//           5 o (q's shape and strides)   6 lse: per query row r = (b·H + h)·Tq + i, lse[2r] = (m, log Σ) (written here)
//             and lse[2r + 1] = (D, 0) (written by the dq pass; one buffer keeps dq and dkv at 8 storage buffers)
// dispatch: grid1d(B·H·Tq·nch, 64) workgroups of 64, nch = ceil(DV / CH); invocation g = chunk·rows + r.

override DH: u32 = 16u;
override DV: u32 = 16u; // the value head size (o, go, v, dv); DH is q's and k's
override CH: u32 = 16u;
override MASKED: u32 = 0u;
override ATTN: u32 = 0u;
override CAUSAL: u32 = 0u;

const MAXCH = 64u;
const NEG = -3.0e38;

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
@group(0) @binding(5) var<storage, read_write> o: array<f32>;
@group(0) @binding(6) var<storage, read_write> lse: array<vec2<f32>>;
//#include "common/attention_mask.wgsl"

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let g = gid.x + gid.y * nwg.x * 64u;
  let nch = (DV + CH - 1u) / CH;
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

  var acc: array<f32, MAXCH>;
  var m = NEG;
  var l = 0.0;
  for (var j = 0u; j < p.tk; j++) {
    let bj = maskBias(b, h, i, j);
    if (bj <= EXCLUDED) { continue; }
    let ko = kb + j * p.kst;
    var s = 0.0;
    for (var d = 0u; d < DH; d++) { s += q[qo + d] * k[ko + d]; }
    s = s * p.scale + bj;
    if (s > m) {
      // The running sums were taken relative to the old maximum: rescale them (nothing to rescale at the first key).
      let c = select(exp(m - s), 0.0, l == 0.0);
      l *= c;
      for (var e = 0u; e < CH; e++) { acc[e] *= c; }
      m = s;
    }
    let w = exp(s - m);
    l += w;
    for (var e = 0u; e < CH; e++) {
      if (d0 + e < DV) { acc[e] += w * v[vb + j * p.vst + d0 + e]; }
    }
  }
  let inv = select(0.0, 1.0 / l, l > 0.0);
  for (var e = 0u; e < CH; e++) {
    if (d0 + e < DV) { o[oo + d0 + e] = acc[e] * inv; }
  }
  if (d0 == 0u) { lse[2u * r] = select(vec2<f32>(0.0), vec2<f32>(m, log(l)), l > 0.0); }
}
