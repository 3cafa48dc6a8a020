// attention_grad_q_flash: fused attention backward for the queries on a real GPU (the maths, masking and layout of
// attention_grad_q_naive.wgsl), tiled as attention_flash.wgsl: one workgroup per (b, h) and block of ROWS queries
// (64, or fewer for a short Tq: see there), one query row per invocation (q, go and the dq accumulator in registers), k and v staged in workgroup memory 16 keys
// at a time:
//   D_i  = go_i · o_i  (saved beside m and ls for attention_grad_kv_flash)
//   for each key j left:  dS = exp((scale · q_i·k_j + bias − m_i) − ls_i) · (go_i·v_j − D_i);   acc_i += dS · k_j
//   dq_i = scale · acc_i
// A query with no key left has (m, ls) = 0 and no terms: dq = 0, D = 0 (its o is 0).
// Workgroup memory 8 KiB; ≤ 64 invocations; 8 storage buffers.
//
// bindings: 0 uniform Params (rows = B·H; strides in vec4s)   1 q   2 k   3 v: array<vec4<f32>>
//           4 mask: array<f32> (bound to q when MASKED = 0)   5 o   6 go   7 dq: array<vec4<f32>>
//           8 lse: array<vec2<f32>>, per query row r: reads lse[2r] = (m, ls), writes lse[2r + 1] = (D, 0)
// dispatch: grid1d(B·H·ceil(Tq / ROWS), 1) workgroups of ROWS.

override DH4: u32 = 4u;
override MASKED: u32 = 0u;
override ATTN: u32 = 0u;
override CAUSAL: u32 = 0u;

override ROWS: u32 = 64u; // queries per workgroup, one per invocation: 8, 16, 32 or 64
const BK = 16u; // keys per tile in workgroup memory
const MAXD4 = 16u; // vec4s per row at most (Dh ≤ 64)
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
  let i = min(i0 + lid, p.tq - 1u); // rows past Tq repeat the last row and are not stored
  let r = bh * p.tq + i;
  let qo = b * p.qsb + h * p.qsh + i * p.qst;
  let oo = b * p.osb + h * p.osh + i * p.ost;
  let kb = b * p.ksb + (h / p.group) * p.ksh; // query heads share k/v heads in groups (GQA)
  let vb = b * p.vsb + (h / p.group) * p.vsh;

  var qr: array<vec4<f32>, MAXD4>;
  var gr: array<vec4<f32>, MAXD4>;
  var acc: array<vec4<f32>, MAXD4>;
  var d4 = Z;
  for (var d = 0u; d < DH4; d++) {
    qr[d] = q[qo + d];
    gr[d] = go[oo + d];
    d4 += gr[d] * o[oo + d];
  }
  let di = d4.x + d4.y + d4.z + d4.w;
  let li = lse[2u * r];
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
      if (bias <= EXCLUDED) { continue; } // skipped, not multiplied by 0: an excluded pair's exp may overflow
      var s4 = Z;
      var p4 = Z;
      for (var d = 0u; d < DH4; d++) {
        s4 += qr[d] * kt[t * DH4 + d];
        p4 += gr[d] * vt[t * DH4 + d];
      }
      let s = (s4.x + s4.y + s4.z + s4.w) * p.scale + bias;
      let ds = exp((s - li.x) - li.y) * ((p4.x + p4.y + p4.z + p4.w) - di);
      for (var d = 0u; d < DH4; d++) { acc[d] += ds * kt[t * DH4 + d]; }
    }
  }
  if (i0 + lid >= p.tq) { return; }
  for (var d = 0u; d < DH4; d++) { dq[qo + d] = acc[d] * p.scale; }
  lse[2u * r + 1u] = vec2<f32>(di, 0.0);
}
