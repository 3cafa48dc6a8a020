// reduce_grad: the backward of the reductions, in gather form: every element of x receives the gradient of the
// output element it was reduced into.
//   MODE 0 (sum, mean):  gx[e] = scale · gy[o]
//   MODE 1 (max):        gx[e] = gy[o] if r == idx[o] else 0   (idx = the arg-max saved by the forward pass)
//   MODE 2 (variance):   gx[e] = 2 · scale · gy[o] · (x[e] − m[o])   (the mean's own dependence on x sums to zero)
//   MODE 3 (prod):       gx[e] = gy[o] · Π_{r' ≠ r} x[o, r'], from the saved (q, z) = (product of the non-zero
//                        elements, count of zeros): q / x[e] with no zero, q at the only zero, else 0 (PyTorch's)
// o is the output element x[e] was reduced into and r its position within the reduced set (row-major).
// x is described as up to 15 groups of merged axes (row-major), one vec4 (size, ostride, rstride, _) each: a group
// adds coord·ostride to o if it is kept, or coord·rstride to r if it is reduced.
// Each invocation handles `run` consecutive elements: it decomposes the first one, then steps o and r by the last
// group's strides, decomposing again only where the last group wraps. (Per-invocation overhead dominates a
// one-element-per-invocation kernel on SwiftShader, and the integer divisions are paid once per stretch.)
//
// bindings: 0 uniform { n, ngroups, scale: f32, run, then per group (size, ostride, rstride, _) }
//           1 gy: array<f32> (output size)
//           2 a: array<f32> (MODE 2, 3: x; otherwise bound to gy)
//           3 b: array<f32> (MODE 1: idx; MODE 2: m, both output-sized; MODE 3: (q, z) pairs; MODE 0: bound to gy)
//           4 gx: array<f32> (n)
// dispatch: grid1d(ceil(n / run), 64) workgroups of 64.

override MODE: u32 = 0u;

struct Params {
  n: u32, ng: u32, scale: f32, run: u32,
  g: array<vec4<u32>, 15>,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> gy: array<f32>;
@group(0) @binding(2) var<storage, read> a: array<f32>;
@group(0) @binding(3) var<storage, read> b: array<f32>;
@group(0) @binding(4) var<storage, read_write> gx: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = gid.x + gid.y * nwg.x * 64u;
  let last = p.g[p.ng - 1u];
  var e = t * p.run;
  let end = min(e + p.run, p.n);
  while (e < end) {
    // Decompose e, then walk along the last group until the run or the group ends.
    var o = 0u;
    var r = 0u;
    var q = e;
    for (var k = p.ng; k > 0u; k--) {
      let gd = p.g[k - 1u];
      let c = q % gd.x;
      o += c * gd.y;
      r += c * gd.z;
      q /= gd.x;
    }
    let stop = min(end, e + last.x - e % last.x);
    for (; e < stop; e++) {
      let g0 = gy[o];
      if (MODE == 0u) {
        gx[e] = p.scale * g0;
      } else if (MODE == 1u) {
        gx[e] = select(0.0, g0, u32(b[o]) == r);
      } else if (MODE == 2u) {
        gx[e] = 2.0 * p.scale * g0 * (a[e] - b[o]);
      } else {
        let q = b[2u * o];
        let z = b[2u * o + 1u];
        let v = a[e];
        gx[e] = g0 * select(select(0.0, q, z == 1.0 && v == 0.0), q / v, z == 0.0);
      }
      o += last.y;
      r += last.z;
    }
  }
}
