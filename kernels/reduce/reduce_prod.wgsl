// reduce_prod: the product of x, viewed as (outer, R, inner), over R, one chunk of R per invocation, kept as the
// product of the non-zero elements and the count of zeros, which is what the backward needs to give every element
// the product of the others (PyTorch's convention, exact with zeros in the row: dividing y by x[e] is not).
//   q[o, p, i] = Π_{r in chunk p, x ≠ 0} x[o, r, i]     z[o, p, i] = #{r in chunk p : x[o, r, i] = 0}
//   y[o, p, i] = q if z = 0, else 0
// COMBINE = 0: first pass over x itself.
// COMBINE = 1: second pass over (outer, P, inner) partials: multiplies their q and adds their z.
//
// bindings: 0 uniform { n = outer·P·inner, rlen = R, inner, chunk, nchunks = P }
//           1 x: array<f32> (outer·R·inner; COMBINE = 1: bound to xs)
//           2 xs: array<f32> (COMBINE = 1: outer·R·inner (q, z) pairs; bound to x when COMBINE = 0)
//           3 y: array<f32> (outer·P·inner)   4 ys: array<f32> (outer·P·inner (q, z) pairs)
// dispatch: grid1d(n, 64) workgroups of 64.

override COMBINE: u32 = 0u;

struct Params { n: u32, rlen: u32, inner: u32, chunk: u32, nchunks: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> xs: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<storage, read_write> ys: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = gid.x + gid.y * nwg.x * 64u;
  if (t >= p.n) { return; }
  let i = t % p.inner;
  let oc = t / p.inner;
  let c = oc % p.nchunks;
  let o = oc / p.nchunks;
  let r0 = c * p.chunk;
  let r1 = min(r0 + p.chunk, p.rlen);
  var k = (o * p.rlen + r0) * p.inner + i;
  var q = 1.0;
  var z = 0.0;
  for (var r = r0; r < r1; r++) {
    if (COMBINE == 1u) {
      q *= xs[2u * k];
      z += xs[2u * k + 1u];
    } else {
      let v = x[k];
      if (v == 0.0) { z += 1.0; } else { q *= v; }
    }
    k += p.inner;
  }
  y[t] = select(q, 0.0, z > 0.0);
  ys[2u * t] = q;
  ys[2u * t + 1u] = z;
}
