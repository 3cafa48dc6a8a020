// reduce_sum: sums x, viewed as (outer, R, inner), over R, one chunk of R per invocation.
//   y[o, p, i] = scale · Σ_{r in chunk p} f(x[o, r, i]),   chunk p = [p·chunk, min((p+1)·chunk, R))
//   f(v) = v                       when SQDEV = 0 (sum, mean, and the second pass of every two-pass sum)
//   f(v) = (v − m[o, i])²          when SQDEV = 1 (the sum of squared deviations behind variance)
// One invocation loops serially over its chunk: on SwiftShader that beats a workgroup tree with barriers. Long
// reductions with few outputs are split into chunks here and the (outer, P, inner) partials are summed by a second
// dispatch of this same kernel with P as the reduced axis. Four independent accumulators break the serial chain of
// adds (measured 1.7x faster than two on SwiftShader) and shorten each rounding chain. Contiguous rows whose length
// is a multiple of 4 go to reduce_sum_vec4 instead.
// FOLD = 1 does both passes in one dispatch, for small two-pass sums (bias gradients: a few thousand rows of a few
// dozen columns): invocation (o, i) sums each chunk as the first pass would, then folds the P chunk sums exactly as the
// second pass would (same accumulators, same order), so its result is bit for bit the two passes'. It trades the
// chunks' parallelism for one launch fewer; ops/reduce.ts takes it only where the whole sum is small.
//
// bindings: 0 uniform { n = outer·P·inner (FOLD = 1: outer·inner), rlen = R, inner, chunk, nchunks = P, scale: f32 }
//           1 x: array<f32> (outer·R·inner)   2 m: array<f32> (outer·inner; bound to x when SQDEV = 0)
//           3 y: array<f32> (outer·P·inner)
// dispatch: grid1d(n, 64) workgroups of 64.

override SQDEV: u32 = 0u;
override FOLD: u32 = 0u;

struct Params { n: u32, rlen: u32, inner: u32, chunk: u32, nchunks: u32, scale: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> m: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

// Σ f(x[o, r, i]) over r in [r0, r1), with four accumulators.
fn chunkSum(o: u32, i: u32, r0: u32, r1: u32) -> f32 {
  var mo = 0.0;
  if (SQDEV == 1u) { mo = m[o * p.inner + i]; }
  var k = (o * p.rlen + r0) * p.inner + i;
  let st = p.inner;
  var a0 = 0.0;
  var a1 = 0.0;
  var a2 = 0.0;
  var a3 = 0.0;
  var r = r0;
  for (; r + 3u < r1; r += 4u) {
    var v0 = x[k];
    var v1 = x[k + st];
    var v2 = x[k + 2u * st];
    var v3 = x[k + 3u * st];
    if (SQDEV == 1u) { v0 = (v0 - mo) * (v0 - mo); v1 = (v1 - mo) * (v1 - mo); v2 = (v2 - mo) * (v2 - mo); v3 = (v3 - mo) * (v3 - mo); }
    a0 += v0;
    a1 += v1;
    a2 += v2;
    a3 += v3;
    k += 4u * st;
  }
  for (; r < r1; r++) {
    var v = x[k];
    if (SQDEV == 1u) { v = (v - mo) * (v - mo); }
    a0 += v;
    k += st;
  }
  return (a0 + a1) + (a2 + a3);
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = gid.x + gid.y * nwg.x * 64u;
  if (t >= p.n) { return; }
  let i = t % p.inner;
  if (FOLD == 0u) {
    let oc = t / p.inner;
    let c = oc % p.nchunks;
    let o = oc / p.nchunks;
    let r0 = c * p.chunk;
    y[t] = chunkSum(o, i, r0, min(r0 + p.chunk, p.rlen)) * p.scale;
    return;
  }
  // The second pass's loop, over chunk sums instead of loaded values (the first pass scaled them by 1: exact).
  let o = t / p.inner;
  var b = array<f32, 4>(0.0, 0.0, 0.0, 0.0);
  let full = p.nchunks - p.nchunks % 4u; // chunks [0, full) go round the four accumulators, the rest into b[0]
  for (var c = 0u; c < p.nchunks; c++) {
    let r0 = c * p.chunk;
    let s = chunkSum(o, i, r0, min(r0 + p.chunk, p.rlen));
    let j = select(0u, c % 4u, c < full);
    b[j] += s;
  }
  y[t] = ((b[0] + b[1]) + (b[2] + b[3])) * p.scale;
}
