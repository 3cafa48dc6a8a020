// attention_flash: fused attention forward for a real GPU (the maths, masking and layout of attention_naive.wgsl),
// flash-style, for head sizes Dh = 4·DH4 ≤ 64 with Dv = Dh:
//   one workgroup per (b, h) and block of ROWS queries (64, or the next power of 2 ≥ Tq when Tq < 64, at least 8),
//   one query row per invocation (q and acc in registers);
//   the keys go by in tiles of BK = 16: the workgroup stages k and v of the tile in workgroup memory (each row loaded
//   once from global memory for ROWS queries), then every invocation reads them from there (the same address across the
//   workgroup: a broadcast) and updates its online softmax:
//     s = scale · q·k_j + bias;  m' = max(m, s);  l = l·e^(m − m') + e^(s − m');  acc = acc·e^(m − m') + e^(s − m')·v_j
//   o = acc / l,  lse = (m, log l) kept apart, as attention_naive saves them (a query with no key left: o = 0, lse = 0).
// With CAUSAL the block stops at its last query's key: later tiles are excluded for every query of the block.
// Query rows past Tq (in the last block) repeat the last row, take part in the barriers, and are not stored (hence
// ROWS near Tq when Tq is short: DAR's Tq = 8 would otherwise compute 64 rows for 8).
// Workgroup memory: 2 tiles × BK × 16 vec4 = 8 KiB; ≤ 64 invocations; 7 storage buffers (WebGPU's defaults: 16 KiB, 256, 8).
//
// bindings: 0 uniform Params (rows = B·H; strides in vec4s)   1 q   2 k   3 v: array<vec4<f32>>
//           4 mask: array<f32> (bound to q when MASKED = 0)   5 o: array<vec4<f32>>
//           6 lse: array<vec2<f32>>, 2 per query row r = (b·H + h)·Tq + i: lse[2r] = (m, log Σ) (see attention_naive)
// dispatch: grid1d(B·H·ceil(Tq / ROWS), 1) workgroups of ROWS (workgroup w = wid.x + wid.y·nwg.x).

override DH4: u32 = 4u;
override MASKED: u32 = 0u;
override ATTN: u32 = 0u;
override CAUSAL: u32 = 0u;

override ROWS: u32 = 64u; // queries per workgroup, one per invocation: 8, 16, 32 or 64
const BK = 16u; // keys per tile in workgroup memory
const MAXD4 = 16u; // vec4s per row at most (Dh ≤ 64)
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

var<workgroup> kt: array<vec4<f32>, 256>; // BK × MAXD4: key t of the tile at [t·DH4, (t + 1)·DH4)
var<workgroup> vt: array<vec4<f32>, 256>;

@compute @workgroup_size(ROWS)
fn main(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let blocks = (p.tq + ROWS - 1u) / ROWS;
  let w = wid.x + wid.y * nwg.x;
  if (w >= p.rows * blocks) { return; } // uniform: the whole workgroup leaves
  let bh = w / blocks;
  let i0 = (w % blocks) * ROWS;
  let h = bh % p.heads;
  let b = bh / p.heads;
  let i = min(i0 + lid, p.tq - 1u);
  let qo = b * p.qsb + h * p.qsh + i * p.qst;
  let kb = b * p.ksb + (h / p.group) * p.ksh; // query heads share k/v heads in groups (GQA)
  let vb = b * p.vsb + (h / p.group) * p.vsh;

  var qr: array<vec4<f32>, MAXD4>;
  var acc: array<vec4<f32>, MAXD4>;
  for (var d = 0u; d < DH4; d++) { qr[d] = q[qo + d]; }
  var m = NEG;
  var l = 0.0;
  let kend = select(p.tk, min(p.tk, i0 + ROWS), CAUSAL != 0u);
  for (var j0 = 0u; j0 < kend; j0 += BK) {
    workgroupBarrier(); // every invocation is done with the previous tile
    for (var e = lid; e < BK * DH4; e += ROWS) {
      let j = min(j0 + e / DH4, p.tk - 1u); // rows past Tk repeat the last key and are never read
      kt[e] = k[kb + j * p.kst + e % DH4];
      vt[e] = v[vb + j * p.vst + e % DH4];
    }
    workgroupBarrier();
    for (var t = 0u; t < min(BK, p.tk - j0); t++) {
      let bias = maskBias(b, h, i, j0 + t);
      if (bias <= EXCLUDED) { continue; }
      var s4 = Z;
      for (var d = 0u; d < DH4; d++) { s4 += qr[d] * kt[t * DH4 + d]; }
      let s = (s4.x + s4.y + s4.z + s4.w) * p.scale + bias;
      let mn = max(m, s);
      let c = exp(m - mn); // 0 at the first key left (e^(−3e38 − s)): the empty sums need no special case
      let wt = exp(s - mn);
      l = l * c + wt;
      for (var d = 0u; d < DH4; d++) { acc[d] = acc[d] * c + wt * vt[t * DH4 + d]; }
      m = mn;
    }
  }
  if (i0 + lid >= p.tq) { return; }
  let inv = select(0.0, 1.0 / l, l > 0.0);
  let oo = b * p.osb + h * p.osh + i * p.ost;
  for (var d = 0u; d < DH4; d++) { o[oo + d] = acc[d] * inv; }
  lse[2u * (bh * p.tq + i)] = select(vec2<f32>(0.0), vec2<f32>(m, log(l)), l > 0.0);
}
