// concat_vec4: concat.wgsl with vec4 elements, used when xb, yb and off are all multiples of 4 (the host passes them
// divided by 4).
//
// bindings: 0 uniform { n: u32 (= outer·xb), xb: u32, yb: u32, off: u32 }   (all in vec4s)
//           1 x: array<vec4<f32>> (n)   2 y: array<vec4<f32>> (outer·yb), only this input's window is written
// dispatch: grid1d(n, 64) workgroups of 64.

// ACCUMULATE = true adds x into the window instead of storing it, y[…] += x[i]: a slice's backward adding gy into
// a gradient its input already has (autograd's `into`), one launch instead of padding with zeros plus an accumulate.
override ACCUMULATE: bool = false;

struct Params { n: u32, xb: u32, yb: u32, off: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> y: array<vec4<f32>>;

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
