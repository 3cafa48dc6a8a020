// softmax_lse_grad: backward of logsumexp over the last axis: the softmax of the row, scaled by the row's gradient.
//   gx[row, j] = gy[row] · sm[row, j],   sm = softmax(x) from softmax.wgsl
// Not exp(x − lse) from the op's output: near |x| ~ 1e4 the float32 lse is rounded to 1e-3, and every gradient with
// it; the softmax kernel forms exp(x − max) / Σ instead.
// Elementwise, but each invocation handles `run` consecutive elements (SwiftShader's per-invocation cost dominates
// one-element invocations), tracking the row as it goes.
//
// bindings: 0 uniform { n = rows·C, C, run }   1 sm: array<f32> (rows·C)   2 gy: array<f32> (rows)
//           3 gx: array<f32> (rows·C)
// dispatch: grid1d(ceil(n / run), 64) workgroups of 64.

struct Params { n: u32, c: u32, run: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> sm: array<f32>;
@group(0) @binding(2) var<storage, read> gy: array<f32>;
@group(0) @binding(3) var<storage, read_write> gx: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = gid.x + gid.y * nwg.x * 64u;
  var i = t * p.run;
  let end = min(i + p.run, p.n);
  var row = i / p.c;
  var col = i % p.c;
  var g = gy[row];
  for (; i < end; i++) {
    gx[i] = g * sm[i];
    col++;
    if (col == p.c && i + 1u < end) {
      col = 0u;
      row++;
      g = gy[row];
    }
  }
}
