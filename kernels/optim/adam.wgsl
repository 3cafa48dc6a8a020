// adam: one Adam or AdamW step on one parameter, or on an arena of many packed at vec4 boundaries (multi-tensor Adam,
// src/engine/optim/adam.ts: elementwise, so the numbers are the same either way), in place (torch.optim.Adam / AdamW):
//   DECOUPLED = 0 (Adam):   g = grad + weightDecay·p               (L2 penalty folded into the gradient)
//   DECOUPLED = 1 (AdamW):  g = grad;  p = p·(1 − lr·weightDecay)   (decay applied to the weights directly)
//   m = β₁·m + (1−β₁)·g;   v = β₂·v + (1−β₂)·g²
//   p = p − stepSize·m / (√v · invSqrtBc2 + eps)
// with stepSize = lr / (1 − β₁ᵗ) and invSqrtBc2 = 1 / √(1 − β₂ᵗ), the bias corrections of step t, computed in float64
// on the CPU each step. 1−β₁ and 1−β₂ also come from the CPU: 1 − 0.999 rounded in float32 is off by 1e-5 relative.
// Everything that changes between steps is a uniform, so a new lr or step never recompiles.
//
// bindings: 0 uniform { n4: u32, lr, stepSize, invSqrtBc2, beta1, oneMinusBeta1, beta2, oneMinusBeta2, eps, weightDecay: f32 }
//           1 grad: array<vec4<f32>> (n4)   2 p, 3 m, 4 v: array<vec4<f32>> (n4), read and written
// dispatch: grid1d(n4, 64) with n4 = ceil(n / 4); each invocation updates 4 elements (buffers are padded to 16 bytes;
//           the last vec4 may compute on padding, which no tensor ever reads).

override DECOUPLED: u32 = 0u;

struct Params {
  n4: u32, lr: f32, stepSize: f32, invSqrtBc2: f32,
  beta1: f32, oneMinusBeta1: f32, beta2: f32, oneMinusBeta2: f32,
  eps: f32, weightDecay: f32,
}
@group(0) @binding(0) var<uniform> u: Params;
@group(0) @binding(1) var<storage, read> grad: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> p: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> m: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> v: array<vec4<f32>>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 64u;
  if (i >= u.n4) { return; }
  var w = p[i];
  var g = grad[i];
  if (DECOUPLED != 0u) {
    w = w * (1.0 - u.lr * u.weightDecay);
  } else {
    g = g + u.weightDecay * w;
  }
  let mi = u.beta1 * m[i] + u.oneMinusBeta1 * g;
  let vi = u.beta2 * v[i] + u.oneMinusBeta2 * g * g;
  m[i] = mi;
  v[i] = vi;
  p[i] = w - u.stepSize * mi / (sqrt(vi) * u.invSqrtBc2 + u.eps);
}
