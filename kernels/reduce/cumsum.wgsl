// cumsum: the inclusive running sum of x, viewed as (outer, L, inner), along L; one invocation per (o, i) line.
//   y[o, l, i] = Σ_{l' ≤ l} x[o, l', i]      (REVERSE = 1: Σ_{l' ≥ l}, the backward of cumsum)
// A serial scan per line: the lines are independent and usually many; a single long line would want a parallel
// (tiled) scan, a later rung.
//
// bindings: 0 uniform { n = outer·inner, len = L, inner }
//           1 x: array<f32> (outer·L·inner)   2 y: array<f32> (outer·L·inner)
// dispatch: grid1d(n, 64) workgroups of 64.

override REVERSE: u32 = 0u;

struct Params { n: u32, len: u32, inner: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = gid.x + gid.y * nwg.x * 64u;
  if (t >= p.n) { return; }
  let i = t % p.inner;
  let o = t / p.inner;
  let base = o * p.len * p.inner + i;
  var s = 0.0;
  for (var k = 0u; k < p.len; k++) {
    let e = base + select(k, p.len - 1u - k, REVERSE == 1u) * p.inner;
    s += x[e];
    y[e] = s;
  }
}
