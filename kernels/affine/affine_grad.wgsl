// affine_grad: the backward of affine.wgsl, all three gradients in one launch. Invocation (g, j) walks column j of
// group g down its R rows:
//   dx[g, r, j] = gy[g, r, j] · weight[g, j]
//   dweight[g, j] = Σ_r gy[g, r, j] · x[g, r, j]        dbias[g, j] = Σ_r gy[g, r, j]
// The sums run in reduce_sum.wgsl's order (R cut into nchunks chunks of `chunk` rows, each summed with four
// accumulators round-robin, the chunk sums folded by four more, as FOLD = 1 does), with the chunking ops/reduce.ts
// plans for a sum over R of (G, R, D): so they equal the broadcast mul + add's sums bit for bit, in one launch
// instead of four to six (two products, two sums of one or two passes each).
//
// acc = 1 adds dx into the gradient x already has (autograd's `into`: the shared normalisation of GroupedLayerNorm
// feeds two or three affines) instead of storing it: prev + dx, the single rounding of the accumulate it saves.
//
// bindings: 0 uniform { g: u32 (G), r: u32 (R), d: u32 (D), chunk: u32, nchunks: u32, acc: u32 }
//           1 x: array<f32> (G·R·D)   2 weight: array<f32> (G·D)   3 gy: array<f32> (G·R·D)
//           4 dx: array<f32> (G·R·D)   5 dweight: array<f32> (G·D)   6 dbias: array<f32> (G·D)
// dispatch: grid1d(G·D, 64) workgroups of 64.

struct Params { g: u32, r: u32, d: u32, chunk: u32, nchunks: u32, acc: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> weight: array<f32>;
@group(0) @binding(3) var<storage, read> gy: array<f32>;
@group(0) @binding(4) var<storage, read_write> dx: array<f32>;
@group(0) @binding(5) var<storage, read_write> dweight: array<f32>;
@group(0) @binding(6) var<storage, read_write> dbias: array<f32>;

/** dx[e] = v, or dx[e] += v with acc. */
fn putDx(e: u32, v: f32) {
  if (p.acc != 0u) { dx[e] = dx[e] + v; } else { dx[e] = v; }
}

/** Both sums over one chunk: .x = Σ gy·x, .y = Σ gy. */
fn chunkSums(g: u32, j: u32, w: f32, r0: u32, r1: u32) -> vec2<f32> {
  let st = p.d;
  var k = (g * p.r + r0) * st + j;
  var a = array<vec2<f32>, 4>(vec2<f32>(0.0), vec2<f32>(0.0), vec2<f32>(0.0), vec2<f32>(0.0));
  var r = r0;
  for (; r + 3u < r1; r += 4u) {
    for (var q = 0u; q < 4u; q++) {
      let e = k + q * st;
      let gv = gy[e];
      putDx(e, gv * w);
      let gx = gv * x[e];
      a[q] += vec2<f32>(gx, gv);
    }
    k += 4u * st;
  }
  for (; r < r1; r++) {
    let gv = gy[k];
    putDx(k, gv * w);
    let gx = gv * x[k];
    a[0] += vec2<f32>(gx, gv);
    k += st;
  }
  return (a[0] + a[1]) + (a[2] + a[3]);
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = gid.x + gid.y * nwg.x * 64u;
  if (t >= p.g * p.d) { return; }
  let g = t / p.d;
  let j = t % p.d;
  let w = weight[t];
  var b = array<vec2<f32>, 4>(vec2<f32>(0.0), vec2<f32>(0.0), vec2<f32>(0.0), vec2<f32>(0.0));
  let full = p.nchunks - p.nchunks % 4u; // chunks [0, full) go round the four accumulators, the rest into b[0]
  for (var c = 0u; c < p.nchunks; c++) {
    let r0 = c * p.chunk;
    let s = chunkSums(g, j, w, r0, min(r0 + p.chunk, p.r));
    b[select(0u, c % 4u, c < full)] += s;
  }
  let s = (b[0] + b[1]) + (b[2] + b[3]);
  dweight[t] = s.x;
  dbias[t] = s.y;
}
