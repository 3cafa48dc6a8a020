// attention_grad_kv_flash: fused attention backward for the keys and values on a real GPU (the maths, masking and
// layout of attention_grad_kv_naive.wgsl), tiled as attention_flash.wgsl the other way round: one workgroup per
// (b, k/v head) and block of ROWS keys (64, or fewer for a short Tk), one key row per invocation (k, v and the dk, dv accumulators in registers); the
// queries of every head of the group (GQA) go by 16 at a time, their q, go and (m, ls, D) staged in workgroup memory:
//   P = exp((scale · q_i·k_j + bias − m_i) − ls_i), 0 for an excluded pair;   dS = P · (go_i·v_j − D_i)
//   dk_j = scale · Σ_i dS q_i;   dv_j = Σ_i P go_i        (gather form: each dk/dv row has one writer, no atomics)
// With CAUSAL a block of keys starts at the tile holding its first key's query: earlier queries see none of its keys.
// Key rows past Tk (in the last block) repeat the last key, take part in the barriers, and are not stored.
// Workgroup memory: 2 tiles × BQ × 16 vec4 + BQ vec4 = 8.25 KiB; ≤ 64 invocations; 8 storage buffers.
//
// bindings: 0 uniform Params (rows = B·Hkv; strides in vec4s)   1 q   2 k   3 v: array<vec4<f32>>
//           4 mask: array<f32> (bound to q when MASKED = 0)   5 lse: array<vec2<f32>>, per query row r: lse[2r] = (m, ls),
//           lse[2r + 1] = (D, 0)   6 go   7 dk   8 dv: array<vec4<f32>>
// dispatch: grid1d(B·Hkv·ceil(Tk / ROWS), 1) workgroups of ROWS.

override DH4: u32 = 4u;
override MASKED: u32 = 0u;
override ATTN: u32 = 0u;
override CAUSAL: u32 = 0u;

override ROWS: u32 = 64u; // keys per workgroup, one per invocation: 8, 16, 32 or 64
const BQ = 16u; // queries per tile in workgroup memory
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
@group(0) @binding(5) var<storage, read> lse: array<vec2<f32>>;
@group(0) @binding(6) var<storage, read> go: array<vec4<f32>>;
@group(0) @binding(7) var<storage, read_write> dk: array<vec4<f32>>;
@group(0) @binding(8) var<storage, read_write> dv: array<vec4<f32>>;
//#include "common/attention_mask.wgsl"

var<workgroup> qt: array<vec4<f32>, 256>; // BQ × MAXD4: query t of the tile at [t·DH4, (t + 1)·DH4)
var<workgroup> gt: array<vec4<f32>, 256>; // its go rows
var<workgroup> st: array<vec4<f32>, BQ>; // its (m, ls, D, 0)

@compute @workgroup_size(ROWS)
fn main(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let blocks = (p.tk + ROWS - 1u) / ROWS;
  let w = wid.x + wid.y * nwg.x;
  if (w >= p.rows * blocks) { return; } // uniform: the whole workgroup leaves
  let hkv = p.heads / p.group;
  let bh = w / blocks; // (b, k/v head)
  let j0 = (w % blocks) * ROWS;
  let hk = bh % hkv;
  let b = bh / hkv;
  let j = min(j0 + lid, p.tk - 1u);
  let ko = b * p.ksb + hk * p.ksh + j * p.kst;
  let vo = b * p.vsb + hk * p.vsh + j * p.vst;

  var kr: array<vec4<f32>, MAXD4>;
  var vr: array<vec4<f32>, MAXD4>;
  var ak: array<vec4<f32>, MAXD4>;
  var av: array<vec4<f32>, MAXD4>;
  for (var d = 0u; d < DH4; d++) {
    kr[d] = k[ko + d];
    vr[d] = v[vo + d];
  }
  let istart = select(0u, (j0 / BQ) * BQ, CAUSAL != 0u);
  // Every query head of the k/v head's group (GQA; one head without it) reads these keys.
  for (var h = hk * p.group; h < (hk + 1u) * p.group; h++) {
    let qb = b * p.qsb + h * p.qsh;
    let ob = b * p.osb + h * p.osh;
    let rb = (b * p.heads + h) * p.tq;
    for (var i0 = istart; i0 < p.tq; i0 += BQ) {
      workgroupBarrier(); // every invocation is done with the previous tile
      for (var e = lid; e < BQ * DH4; e += ROWS) {
        let i = min(i0 + e / DH4, p.tq - 1u); // rows past Tq repeat the last query and are never read
        qt[e] = q[qb + i * p.qst + e % DH4];
        gt[e] = go[ob + i * p.ost + e % DH4];
      }
      for (var e = lid; e < BQ; e += ROWS) {
        let r = rb + min(i0 + e, p.tq - 1u);
        st[e] = vec4<f32>(lse[2u * r], lse[2u * r + 1u].x, 0.0);
      }
      workgroupBarrier();
      for (var t = 0u; t < min(BQ, p.tq - i0); t++) {
        let bias = maskBias(b, h, i0 + t, j);
        if (bias <= EXCLUDED) { continue; } // skipped, not multiplied by 0: an excluded pair's exp may overflow
        var s4 = Z;
        var p4 = Z;
        for (var d = 0u; d < DH4; d++) {
          s4 += kr[d] * qt[t * DH4 + d];
          p4 += vr[d] * gt[t * DH4 + d];
        }
        let sti = st[t];
        let pr = exp(((s4.x + s4.y + s4.z + s4.w) * p.scale + bias - sti.x) - sti.y);
        let ds = pr * ((p4.x + p4.y + p4.z + p4.w) - sti.z);
        for (var d = 0u; d < DH4; d++) {
          ak[d] += ds * qt[t * DH4 + d];
          av[d] += pr * gt[t * DH4 + d];
        }
      }
    }
  }
  if (j0 + lid >= p.tk) { return; }
  for (var d = 0u; d < DH4; d++) {
    dk[ko + d] = ak[d] * p.scale;
    dv[vo + d] = av[d];
  }
}
