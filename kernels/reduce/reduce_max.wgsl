// reduce_max: the maximum (MIN = 1: minimum) of x, viewed as (outer, R, inner), over R, and where it is, one chunk of
// R per invocation. max, min, argmax and argmin all run here, so they break ties the same way.
//   y[o, p, i]  = max_{r in chunk p} x[o, r, i]
//   yi[o, p, i] = the first r in the chunk holding that maximum (ties go to the lowest index), as an exact f32
// COMBINE = 0: first pass over x itself; the index is r.
// COMBINE = 1: second pass over (outer, P, inner) partials; the index is carried over from xi, and scanning the
//              chunks in order with a strict `>` (`<`) keeps the lowest index overall.
//
// bindings: 0 uniform { n = outer·P·inner, rlen = R, inner, chunk, nchunks = P }
//           1 x: array<f32> (outer·R·inner)   2 xi: array<f32> (outer·R·inner indices; bound to x when COMBINE = 0)
//           3 y: array<f32> (outer·P·inner)   4 yi: array<f32> (outer·P·inner)
// dispatch: grid1d(n, 64) workgroups of 64.

override COMBINE: u32 = 0u;
override MIN: u32 = 0u;

struct Params { n: u32, rlen: u32, inner: u32, chunk: u32, nchunks: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> xi: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<storage, read_write> yi: array<f32>;

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
  var best = x[k];
  var at = k;
  var bi = r0;
  k += p.inner;
  for (var r = r0 + 1u; r < r1; r++) {
    let v = x[k];
    if (select(v > best, v < best, MIN == 1u)) { best = v; at = k; bi = r; }
    k += p.inner;
  }
  y[t] = best;
  if (COMBINE == 1u) { yi[t] = xi[at]; } else { yi[t] = f32(bi); }
}
