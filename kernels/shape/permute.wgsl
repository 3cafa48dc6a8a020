// permute: y = x with its axes reordered, copied into a new contiguous buffer.
//
// The host first drops size-1 axes and merges runs of axes that stay adjacent, so RANK (2..6) is usually small.
// y is walked as rows along its innermost axis (length L): each invocation writes RUN consecutive elements of one
// row, after working out where the row starts in x from the row's coordinates (from the innermost axis out, adding
// x's stride for each of y's axes, listed in y's order by the host). Consecutive elements of a row are stride[RANK-1]
// apart in x: 1 when the innermost axis stays innermost, x's row length for a transpose.
//
// bindings: 0 uniform { n: u32 (invocations = rows · chunks), chunks: u32 (= ceil(L / RUN)), shape[6]: y's merged
//           shape, stride[6]: x's stride for each of y's merged axes }   1 x: array<f32>   2 y: array<f32>
// constants: RANK = number of merged axes (a compile-time loop bound, so the index arithmetic unrolls);
//            RUN = elements per invocation (1 is the plain one-element-per-invocation version).
// dispatch: grid1d(n, 64) workgroups of 64.

override RANK: u32 = 2u;
override RUN: u32 = 1u;

struct Params {
  n: u32,
  chunks: u32,
  shape: array<vec4<u32>, 2>,  // 16-byte elements, as uniform arrays need; entry k is at [k / 4][k % 4]
  stride: array<vec4<u32>, 2>,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 64u;
  if (i >= p.n) { return; }
  let last = RANK - 1u;
  let len = p.shape[last / 4u][last % 4u];                 // L: y's innermost axis
  let step = p.stride[last / 4u][last % 4u];               // x's distance between neighbours along it
  let row = i / p.chunks;
  let col = (i - row * p.chunks) * RUN;
  var rem = row;
  var src = col * step;
  for (var k = last; k > 0u; k--) {
    let a = k - 1u;
    let d = p.shape[a / 4u][a % 4u];
    src += (rem % d) * p.stride[a / 4u][a % 4u];
    rem /= d;
  }
  let dst = row * len + col;
  for (var v = 0u; v < RUN; v++) {
    if (col + v < len) { y[dst + v] = x[src + v * step]; }
  }
}
