// cross_entropy_grad: d loss / d x of cross_entropy.wgsl, one invocation per row (same layout and KINDs). With
// q the smoothed target of the row (q = 0 on an ignored row; probability targets need not sum to 1, as in PyTorch),
// the loss −Σ q_c·log p_c has gradient g·(Σq·p_c − q_c), p = softmax(x); nllLoss (KIND 2) has −g at the target class
// and 0 elsewhere.
// g = gy[r] ('none'), or gy[0]·scale for the reductions (BROADCAST 1), where the host passes scale = 1 ('sum') or
// 1 / (number of rows not ignored) ('mean', read from the count buffer).
//
// bindings: 0 uniform { rows: u32, C: u32, S: u32, ignoreIndex: i32, eps: f32 }
//           1 x: array<f32> (N·C·S)   2 tgt: array<f32> (rows, or N·C·S for KIND 1)
//           3 gy: array<f32> (rows, or 1 with BROADCAST)   4 scale: array<f32> (1)   5 dx: array<f32> (N·C·S)
// constants: KIND = 0, 1 or 2;  BROADCAST = 0 or 1.
// dispatch: grid1d(rows, 64) workgroups of 64.

override KIND: u32 = 0u;
override BROADCAST: u32 = 0u;

struct Params { rows: u32, C: u32, S: u32, ignoreIndex: i32, eps: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> tgt: array<f32>;
@group(0) @binding(3) var<storage, read> gy: array<f32>;
@group(0) @binding(4) var<storage, read> scale: array<f32>;
@group(0) @binding(5) var<storage, read_write> dx: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let r = gid.x + gid.y * nwg.x * 64u;
  if (r >= p.rows) { return; }
  let base = (r / p.S) * p.C * p.S + r % p.S;
  let g = select(gy[r], gy[0] * scale[0], BROADCAST == 1u);
  var t = -1;
  var live = 1.0; // 0 on an ignored row
  if (KIND != 1u) {
    t = i32(tgt[r]);
    if (t == p.ignoreIndex) { t = -1; live = 0.0; }
  }
  if (KIND == 2u) {
    for (var c = 0u; c < p.C; c++) { dx[base + c * p.S] = select(0.0, -g, i32(c) == t); }
    return;
  }
  var m = x[base];
  for (var c = 1u; c < p.C; c++) { m = max(m, x[base + c * p.S]); }
  var s = 0.0;
  for (var c = 0u; c < p.C; c++) { s += exp(x[base + c * p.S] - m); }
  let spread = live * p.eps / f32(p.C);
  var total = live; // Σ q
  if (KIND == 1u) {
    total = p.eps;
    for (var c = 0u; c < p.C; c++) { total += (1.0 - p.eps) * tgt[base + c * p.S]; }
  }
  for (var c = 0u; c < p.C; c++) {
    let i = base + c * p.S;
    var q = spread;
    if (KIND == 1u) { q += (1.0 - p.eps) * tgt[i]; }
    else if (i32(c) == t) { q += 1.0 - p.eps; }
    dx[i] = g * (total * exp(x[i] - m) / s - q);
  }
}
