// slice: a window of x along one axis, padded with zeros where the window leaves x. Serves both directions:
//   forward  y = x[..., start:end, ...]   (the window lies inside x)
//   backward dx = gy placed at start:end of a zero tensor of x's shape (gather form: every dx element either reads
//            one gy element or writes 0, so no scatter and no atomics).
//
// x is viewed as (outer, xb) and y as (outer, yb), where xb, yb are the axis length times the inner size. Element
// (o, r) of y reads x[o, r + off] when 0 ≤ r + off < xb, else 0. The offset is signed: +start·inner forward,
// −start·inner backward.
//
// bindings: 0 uniform { n: u32 (= outer·yb), yb: u32, xb: u32, off: i32 }   1 x: array<f32> (outer·xb)
//           2 y: array<f32> (n)
// dispatch: grid1d(n, 64) workgroups of 64. slice_vec4.wgsl is the same with vec4 elements.

// ACCUMULATE = true adds instead of storing, y[i] += …: a concat's backward adding its window of gy into a gradient
// that input already has (autograd's `into`), one launch instead of a copy plus an accumulate.
override ACCUMULATE: bool = false;

struct Params { n: u32, yb: u32, xb: u32, off: i32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 64u;
  if (i >= p.n) { return; }
  let o = i / p.yb;
  let r = i32(i - o * p.yb) + p.off;                      // position inside x's block
  var v = 0.0;
  if (r >= 0 && r < i32(p.xb)) { v = x[o * p.xb + u32(r)]; }
  if (ACCUMULATE) { v = y[i] + v; }
  y[i] = v;
}
