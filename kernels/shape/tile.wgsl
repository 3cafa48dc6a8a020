// tile: y = x repeated reps[k] times along each axis k; y's shape is xshape[k] · reps[k].
//
// Each invocation writes one element of y and reads x at its coordinates modulo x's shape. The host merges an axis
// whose reps is 1 into the axis before it (its coordinates then wrap the same way), so RANK is usually small.
//
// bindings: 0 uniform { n: u32 (= y's size), xshape[8], reps[8] (entry k at [k / 4][k % 4]) }
//           1 x: array<f32>   2 y: array<f32> (n)
// constants: RANK = number of merged axes (1..8), a compile-time loop bound.
// dispatch: grid1d(n, 64) workgroups of 64. The backward, summing the copies, is tile_grad.wgsl.

override RANK: u32 = 1u;

struct Params { n: u32, xshape: array<vec4<u32>, 2>, reps: array<vec4<u32>, 2> }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 64u;
  if (i >= p.n) { return; }
  var rem = i;
  var src = 0u;
  var xstride = 1u;
  for (var k = RANK; k > 0u; k--) {
    let a = k - 1u;
    let xd = p.xshape[a / 4u][a % 4u];
    let d = xd * p.reps[a / 4u][a % 4u];
    src += (rem % d) % xd * xstride;
    rem /= d;
    xstride *= xd;
  }
  y[i] = x[src];
}
