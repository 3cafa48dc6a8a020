// infonce_renorm: the backward of the row normalisation x̂ = x / max(‖x‖, eps), one invocation per stacked row of
// [a; p; neg], writing the input gradients in their own (unpadded) layouts:
//   ‖x‖ > eps:  dx = (dx̂ − x̂ (x̂ · dx̂)) / ‖x‖     (the projection removes the radial part)
//   otherwise:  dx = dx̂ / eps                      (the floor is a constant there, as in torch's clamp_min)
//
// bindings: 0 uniform { n, m, d, ds: u32, eps: f32 }   1 xhat: array<f32> ((2N + M)·ds)   2 norm: array<f32> (2N + M)
//           3 dxhat: array<f32> ((2N + M)·ds)   4 da (N·D)   5 dp (N·D)   6 dneg (M·D; a spare buffer when M = 0)
// dispatch: (ceil((2N + M) / 16), 1, P) workgroups of 16; gid.z is the problem pb (infonce_normalize.wgsl's
//           layout: its rows are block pb of xhat, norm, dxhat, its gradients rows pb·N.. of da, dp, pb·M.. of dneg).

// ACC: bit 0 (da), 1 (dp), 2 (dneg) set adds into that gradient instead of storing it (dx += …): an input that
// already has a gradient from another consumer (autograd's `into`) takes this one in the same launch.
override ACC: u32 = 0u;

struct Params { n: u32, m: u32, d: u32, ds: u32, eps: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> xhat: array<f32>;
@group(0) @binding(2) var<storage, read> norm: array<f32>;
@group(0) @binding(3) var<storage, read> dxhat: array<f32>;
@group(0) @binding(4) var<storage, read_write> da: array<f32>;
@group(0) @binding(5) var<storage, read_write> dp: array<f32>;
@group(0) @binding(6) var<storage, read_write> dneg: array<f32>;

@compute @workgroup_size(16)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let r = gid.x;
  let pb = gid.z;
  if (r >= 2u * p.n + p.m) { return; }
  let row = pb * (2u * p.n + p.m) + r;
  let base = row * p.ds;
  // ds is a multiple of 16 and the padding is zero in both, so whole vec4 steps cover the row.
  var s4 = vec4<f32>(0.0);
  for (var k = 0u; k < p.ds; k += 4u) {
    let xv = vec4<f32>(xhat[base + k], xhat[base + k + 1u], xhat[base + k + 2u], xhat[base + k + 3u]);
    let gv = vec4<f32>(dxhat[base + k], dxhat[base + k + 1u], dxhat[base + k + 2u], dxhat[base + k + 3u]);
    s4 = fma(xv, gv, s4);
  }
  let nrm = norm[row];
  let above = nrm > p.eps;
  let proj = select(0.0, (s4.x + s4.y) + (s4.z + s4.w), above);
  let inv = 1.0 / select(p.eps, nrm, above);
  if (r < p.n) {
    for (var k = 0u; k < p.d; k++) {
      let v = (dxhat[base + k] - xhat[base + k] * proj) * inv;
      let at = (pb * p.n + r) * p.d + k;
      if ((ACC & 1u) != 0u) { da[at] = da[at] + v; } else { da[at] = v; }
    }
  } else if (r < 2u * p.n) {
    let q = pb * p.n + r - p.n;
    for (var k = 0u; k < p.d; k++) {
      let v = (dxhat[base + k] - xhat[base + k] * proj) * inv;
      let at = q * p.d + k;
      if ((ACC & 2u) != 0u) { dp[at] = dp[at] + v; } else { dp[at] = v; }
    }
  } else {
    let q = pb * p.m + r - 2u * p.n;
    for (var k = 0u; k < p.d; k++) {
      let v = (dxhat[base + k] - xhat[base + k] * proj) * inv;
      let at = q * p.d + k;
      if ((ACC & 4u) != 0u) { dneg[at] = dneg[at] + v; } else { dneg[at] = v; }
    }
  }
}
