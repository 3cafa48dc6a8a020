// gather_rows: embedding lookup, y[k, :] = table[idx[k], :].
//
// bindings: 0 uniform { n: u32 (= N·D), d: u32 }   1 table: array<f32> (V, D)   2 idx: array<u32> (N), each < V
//           (checked on the CPU)   3 y: array<f32> (N, D)
// dispatch: grid1d(n, 64) workgroups of 64. gather_rows_vec4.wgsl is the same with vec4 elements.

struct Params { n: u32, d: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> table: array<f32>;
@group(0) @binding(2) var<storage, read> idx: array<u32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 64u;
  if (i >= p.n) { return; }
  let k = i / p.d;
  y[i] = table[idx[k] * p.d + (i - k * p.d)];
}
