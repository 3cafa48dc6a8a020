// affine_grad_vec4: affine_grad.wgsl four columns at a time, when D is a multiple of 4. Invocation (g, j4) walks
// columns 4·j4 .. 4·j4+3 of group g down its R rows with vec4 loads:
//   dx[g, r, j] = gy[g, r, j] · weight[g, j]
//   dweight[g, j] = Σ_r gy[g, r, j] · x[g, r, j]        dbias[g, j] = Σ_r gy[g, r, j]
// Each lane of a vec4 is one column, summed in affine_grad.wgsl's order (reduce_sum.wgsl's chunks, four accumulators
// round-robin per chunk, the chunk sums folded by four more): the same numbers. Differs by a quarter of the
// invocations and loads, and by named accumulators instead of an array indexed in the loop (which SwiftShader keeps
// in memory).
//
// bindings: 0 uniform { g4: u32 (G·D / 4), r: u32 (R), d4: u32 (D / 4), chunk: u32, nchunks: u32, acc: u32 }
//           1 x: array<vec4<f32>> (G·R·D)   2 weight: array<vec4<f32>> (G·D)   3 gy: array<vec4<f32>> (G·R·D)
//           4 dx: array<vec4<f32>> (G·R·D)   5 dweight: array<vec4<f32>> (G·D)   6 dbias: array<vec4<f32>> (G·D)
// dispatch: grid1d(G·D / 4, 16) workgroups of 16 (a few dozen invocations: small groups keep both cores busy).

struct Params { g4: u32, r: u32, d4: u32, chunk: u32, nchunks: u32, acc: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> weight: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> gy: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> dx: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read_write> dweight: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read_write> dbias: array<vec4<f32>>;

/** Σ gy·x (.gx) and Σ gy (.gv) of four columns. */
struct Sums { gx: vec4<f32>, gv: vec4<f32> }

fn plus(a: Sums, b: Sums) -> Sums { return Sums(a.gx + b.gx, a.gv + b.gv); }

/** Row e's contribution: stores dx (or adds it, with acc) and returns (gy·x, gy). */
fn visit(e: u32, w: vec4<f32>) -> Sums {
  let gv = gy[e];
  let v = gv * w;
  if (p.acc != 0u) { dx[e] = dx[e] + v; } else { dx[e] = v; }
  let gx = gv * x[e];
  return Sums(gx, gv);
}

/** Both sums over rows [r0, r1) of one chunk. */
fn chunkSums(g: u32, j4: u32, w: vec4<f32>, r0: u32, r1: u32) -> Sums {
  let st = p.d4;
  var k = (g * p.r + r0) * st + j4;
  let zero = Sums(vec4<f32>(0.0), vec4<f32>(0.0));
  var a0 = zero;
  var a1 = zero;
  var a2 = zero;
  var a3 = zero;
  var r = r0;
  for (; r + 3u < r1; r += 4u) {
    a0 = plus(a0, visit(k, w));
    a1 = plus(a1, visit(k + st, w));
    a2 = plus(a2, visit(k + 2u * st, w));
    a3 = plus(a3, visit(k + 3u * st, w));
    k += 4u * st;
  }
  for (; r < r1; r++) {
    a0 = plus(a0, visit(k, w));
    k += st;
  }
  return plus(plus(a0, a1), plus(a2, a3));
}

@compute @workgroup_size(16)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = gid.x + gid.y * nwg.x * 16u;
  if (t >= p.g4) { return; }
  let g = t / p.d4;
  let j4 = t % p.d4;
  let w = weight[t];
  let zero = Sums(vec4<f32>(0.0), vec4<f32>(0.0));
  var b0 = zero;
  var b1 = zero;
  var b2 = zero;
  var b3 = zero;
  let full = p.nchunks - p.nchunks % 4u; // chunks [0, full) go round the four accumulators, the rest into b0
  for (var c = 0u; c < p.nchunks; c++) {
    let r0 = c * p.chunk;
    let s = chunkSums(g, j4, w, r0, min(r0 + p.chunk, p.r));
    let q = select(0u, c % 4u, c < full);
    if (q == 0u) { b0 = plus(b0, s); } else if (q == 1u) { b1 = plus(b1, s); } else if (q == 2u) { b2 = plus(b2, s); } else { b3 = plus(b3, s); }
  }
  let s = plus(plus(b0, b1), plus(b2, b3));
  dweight[t] = s.gx;
  dbias[t] = s.gv;
}
