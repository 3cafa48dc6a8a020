// concat: writes one input into its window of the output, y[o, off + r] = x[o, r]. concat() dispatches it once per
// input, each filling a disjoint window, so together they cover y.
//
// x is viewed as (outer, xb) and y as (outer, yb); xb = the input's length along the axis times the inner size,
// off = the input's first position along the axis times the inner size.
//
// bindings: 0 uniform { n: u32 (= outer·xb), xb: u32, yb: u32, off: u32 }   1 x: array<f32> (n)
//           2 y: array<f32> (outer·yb), only this input's window is written
// dispatch: grid1d(n, 64) workgroups of 64. concat_vec4.wgsl is the same with vec4 elements.

// ACCUMULATE = true adds x into the window instead of storing it, y[…] += x[i]: a slice's backward adding gy into
// a gradient its input already has (autograd's `into`), one launch instead of padding with zeros plus an accumulate.
override ACCUMULATE: bool = false;

struct Params { n: u32, xb: u32, yb: u32, off: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 64u;
  if (i >= p.n) { return; }
  let o = i / p.xb;
  let at = o * p.yb + p.off + (i - o * p.xb);
  if (ACCUMULATE) {
    y[at] = y[at] + x[i];
  } else {
    y[at] = x[i];
  }
}
