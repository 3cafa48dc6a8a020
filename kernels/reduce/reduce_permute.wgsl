// reduce_permute: copies x into a new order so that a non-contiguous set of reduced axes becomes one contiguous run.
// The caller describes y (row-major) as up to 15 groups of merged axes, one vec4 (size, xstride, _, _) each, giving
// the group's size and the stride of the same group in x. Ops list the kept groups first and the reduced groups
// last, so y is (kept, reduced) row-major:
//   y[e] = x[Σ_g coord_g(e) · xstride_g]
// Each invocation copies `run` consecutive elements of y: it decomposes the first one, then steps along the last
// group, decomposing again only where that group wraps.
//
// bindings: 0 uniform { n, ngroups, run, _, then per group (size, xstride, _, _) }
//           1 x: array<f32> (n)   2 y: array<f32> (n)
// dispatch: grid1d(ceil(n / run), 64) workgroups of 64.

struct Params { n: u32, ng: u32, run: u32, _a: u32, g: array<vec4<u32>, 15> }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = gid.x + gid.y * nwg.x * 64u;
  let last = p.g[p.ng - 1u];
  var e = t * p.run;
  let end = min(e + p.run, p.n);
  while (e < end) {
    var src = 0u;
    var q = e;
    for (var k = p.ng; k > 0u; k--) {
      let gd = p.g[k - 1u];
      src += (q % gd.x) * gd.y;
      q /= gd.x;
    }
    let stop = min(end, e + last.x - e % last.x);
    for (; e < stop; e++) {
      y[e] = x[src];
      src += last.y;
    }
  }
}
