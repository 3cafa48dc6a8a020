// tile_grad: dx[c] = Σ gy[c + t ⊙ xshape] over every copy t (t[k] in [0, reps[k])): tile's backward.
//
// Gather form (WGSL has no float atomics): each invocation owns one element of dx and sums its `copies` = Π reps
// copies in a fixed order, so the result is deterministic. Shapes are tile.wgsl's, merged the same way by the host.
//
// bindings: 0 uniform { n: u32 (= x's size), copies: u32, xshape[8], reps[8] }   1 gy: array<f32> (tiled shape)
//           2 dx: array<f32> (n)
// constants: RANK = number of merged axes (1..8).
// dispatch: grid1d(n, 64) workgroups of 64.

override RANK: u32 = 1u;

struct Params { n: u32, copies: u32, xshape: array<vec4<u32>, 2>, reps: array<vec4<u32>, 2> }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> gy: array<f32>;
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 64u;
  if (i >= p.n) { return; }
  var acc = 0.0;
  for (var t = 0u; t < p.copies; t++) {
    var ri = i;                                             // this element's coordinates in x, innermost first
    var rt = t;                                             // the copy's coordinates in reps
    var dst = 0u;
    var ystride = 1u;
    for (var k = RANK; k > 0u; k--) {
      let a = k - 1u;
      let xd = p.xshape[a / 4u][a % 4u];
      let r = p.reps[a / 4u][a % 4u];
      dst += (ri % xd + (rt % r) * xd) * ystride;
      ri /= xd;
      rt /= r;
      ystride *= xd * r;
    }
    acc += gy[dst];
  }
  dx[i] = acc;
}
