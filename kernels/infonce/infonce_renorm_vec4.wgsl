// infonce_renorm_vec4: infonce_renorm.wgsl for D divisible by 4, with vec4 loads and stores (array<vec4<f32>>
// bindings). Same formulas:
//   ‖x‖ > eps:  dx = (dx̂ − x̂ (x̂ · dx̂)) / ‖x‖;   otherwise dx = dx̂ / eps.
//
// bindings: 0 uniform { n, m, d4, ds4: u32, eps: f32 }   1 xhat ((2N + M)·ds4)   2 norm: array<f32> (2N + M)
//           3 dxhat ((2N + M)·ds4)   4 da (N·d4)   5 dp (N·d4)   6 dneg (M·d4; a spare buffer when M = 0);
//           all but norm array<vec4<f32>>
// dispatch: (ceil((2N + M) / 16), 1, P) workgroups of 16; gid.z is the problem pb (infonce_normalize.wgsl's
//           layout: its rows are block pb of xhat, norm, dxhat, its gradients rows pb·N.. of da, dp, pb·M.. of dneg).

// ACC: bit 0 (da), 1 (dp), 2 (dneg) set adds into that gradient instead of storing it (dx += …): an input that
// already has a gradient from another consumer (autograd's `into`) takes this one in the same launch.
override ACC: u32 = 0u;

struct Params { n: u32, m: u32, d4: u32, ds4: u32, eps: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> xhat: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> norm: array<f32>;
@group(0) @binding(3) var<storage, read> dxhat: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> da: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read_write> dp: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read_write> dneg: array<vec4<f32>>;

@compute @workgroup_size(16)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let r = gid.x;
  let pb = gid.z;
  if (r >= 2u * p.n + p.m) { return; }
  let row = pb * (2u * p.n + p.m) + r;
  let base = row * p.ds4;
  var s4 = vec4<f32>(0.0);
  for (var k = 0u; k < p.d4; k++) { s4 = fma(xhat[base + k], dxhat[base + k], s4); }
  let nrm = norm[row];
  let above = nrm > p.eps;
  let proj = vec4<f32>(select(0.0, (s4.x + s4.y) + (s4.z + s4.w), above));
  let inv = 1.0 / select(p.eps, nrm, above);
  if (r < p.n) {
    for (var k = 0u; k < p.d4; k++) {
      let v = (dxhat[base + k] - xhat[base + k] * proj) * inv;
      let at = (pb * p.n + r) * p.d4 + k;
      if ((ACC & 1u) != 0u) { da[at] = da[at] + v; } else { da[at] = v; }
    }
  } else if (r < 2u * p.n) {
    let q = pb * p.n + r - p.n;
    for (var k = 0u; k < p.d4; k++) {
      let v = (dxhat[base + k] - xhat[base + k] * proj) * inv;
      let at = q * p.d4 + k;
      if ((ACC & 2u) != 0u) { dp[at] = dp[at] + v; } else { dp[at] = v; }
    }
  } else {
    let q = pb * p.m + r - 2u * p.n;
    for (var k = 0u; k < p.d4; k++) {
      let v = (dxhat[base + k] - xhat[base + k] * proj) * inv;
      let at = q * p.d4 + k;
      if ((ACC & 4u) != 0u) { dneg[at] = dneg[at] + v; } else { dneg[at] = v; }
    }
  }
}
