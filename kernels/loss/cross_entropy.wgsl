// cross_entropy: the per-row loss of crossEntropy (KIND 0, class indices; KIND 1, class probabilities) and nllLoss
// (KIND 2), log-softmax fused in: one invocation walks its row of C logits three times (max, Σ exp, loss), so the
// log-probabilities are never stored. A row is one (n, s) of logits (N, C, S) (S = product of the spatial axes, 1 for
// (N, C)): its logits sit at (n·C + c)·S + s.
//
//   log p_c = (x_c − m) − log Σ exp(x − m)           (subtracting m first keeps the digits of large logits)
//   KIND 0: loss = −(1 − ε)·log p_t − ε/C·Σ_c log p_c, and 0 with valid 0 where t = ignoreIndex
//   KIND 1: loss = −Σ_c ((1 − ε)·q_c + ε/C)·log p_c  (PyTorch's label smoothing of probability targets)
//   KIND 2: loss = −x_t (x already holds log-probabilities), 0 with valid 0 where t = ignoreIndex
// A class index outside [0, C) that is not ignoreIndex gives NaN (the GPU cannot throw; the host checks shapes).
//
// bindings: 0 uniform { rows: u32, C: u32, S: u32, ignoreIndex: i32, eps: f32 }
//           1 x: array<f32> (N·C·S)   2 tgt: array<f32> (rows, or N·C·S for KIND 1)
//           3 loss: array<f32> (rows)   4 valid: array<f32> (rows; 1, or 0 where ignored)
// constants: KIND = 0, 1 or 2.
// dispatch: grid1d(rows, 64) workgroups of 64.

override KIND: u32 = 0u;

// NaN as a runtime value (a constant expression may not evaluate to it).
var<private> NAN_BITS: u32 = 0x7fc00000u;

struct Params { rows: u32, C: u32, S: u32, ignoreIndex: i32, eps: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> tgt: array<f32>;
@group(0) @binding(3) var<storage, read_write> loss: array<f32>;
@group(0) @binding(4) var<storage, read_write> valid: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let r = gid.x + gid.y * nwg.x * 64u;
  if (r >= p.rows) { return; }
  let base = (r / p.S) * p.C * p.S + r % p.S;
  if (KIND != 1u) {
    let t = i32(tgt[r]);
    if (t == p.ignoreIndex) { loss[r] = 0.0; valid[r] = 0.0; return; }
    valid[r] = 1.0;
    if (t < 0 || t >= i32(p.C)) { loss[r] = bitcast<f32>(NAN_BITS); return; }
    if (KIND == 2u) { loss[r] = -x[base + u32(t) * p.S]; return; }
  } else {
    valid[r] = 1.0;
  }
  var m = x[base];
  for (var c = 1u; c < p.C; c++) { m = max(m, x[base + c * p.S]); }
  var s = 0.0;
  for (var c = 0u; c < p.C; c++) { s += exp(x[base + c * p.S] - m); }
  let ls = log(s);
  let spread = p.eps / f32(p.C);
  var acc = 0.0;
  for (var c = 0u; c < p.C; c++) {
    let logp = (x[base + c * p.S] - m) - ls;
    var q = spread;
    if (KIND == 1u) { q += (1.0 - p.eps) * tgt[base + c * p.S]; }
    else if (i32(c) == i32(tgt[r])) { q += 1.0 - p.eps; }
    acc -= q * logp;
  }
  loss[r] = acc;
}
