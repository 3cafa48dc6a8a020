// reduce_sum_vec4: reduce_sum for rows that are contiguous and a multiple of 4 long (inner = 1, R % 4 = 0 and every
// chunk a multiple of 4), reading x as vec4s: same results up to summation order, fewer loads and loop trips.
//   y[o, p] = scale · Σ_{r in chunk p} f(x[o, r]),   f(v) = v (SQDEV = 0) or (v − m[o])² (SQDEV = 1)
//
// bindings: 0 uniform { n = outer·P, rlen4 = R/4, _, chunk4 = chunk/4, nchunks = P, scale: f32 }
//           1 x: array<vec4<f32>> (outer·R/4)   2 m: array<f32> (outer; bound to x when SQDEV = 0)
//           3 y: array<f32> (outer·P)
// dispatch: grid1d(n, 64) workgroups of 64.

override SQDEV: u32 = 0u;

struct Params { n: u32, rlen4: u32, _a: u32, chunk4: u32, nchunks: u32, scale: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> m: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = gid.x + gid.y * nwg.x * 64u;
  if (t >= p.n) { return; }
  let c = t % p.nchunks;
  let o = t / p.nchunks;
  let r0 = c * p.chunk4;
  let r1 = min(r0 + p.chunk4, p.rlen4);
  var mo = 0.0;
  if (SQDEV == 1u) { mo = m[o]; }
  let base = o * p.rlen4;
  var acc = vec4<f32>(0.0);
  for (var r = r0; r < r1; r++) {
    var v = x[base + r];
    if (SQDEV == 1u) { v = (v - mo) * (v - mo); }
    acc += v;
  }
  y[t] = (acc.x + acc.y + acc.z + acc.w) * p.scale;
}
