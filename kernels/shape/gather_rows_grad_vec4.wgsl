// gather_rows_grad_vec4: gather_rows_grad.wgsl with vec4 elements, used when D is a multiple of 4 (the host
// passes D / 4).
//
// bindings: 0 uniform { n: u32 (= V·D/4), d: u32 (= D/4), v: u32 (= V), acc: u32 (add into dtable) }   1 plan: array<u32> (V + 1 + N)
//           2 gy: array<vec4<f32>> (N, D/4)   3 dtable: array<vec4<f32>> (V, D/4)
// dispatch: grid1d(n, 64) workgroups of 64.

struct Params { n: u32, d: u32, v: u32, acc: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> plan: array<u32>;
@group(0) @binding(2) var<storage, read> gy: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> dtable: array<vec4<f32>>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 64u;
  if (i >= p.n) { return; }
  let row = i / p.d;
  let col = i - row * p.d;
  var acc = vec4<f32>(0.0);
  for (var j = plan[row]; j < plan[row + 1u]; j++) {
    acc += gy[plan[p.v + 1u + j] * p.d + col];
  }
  if (p.acc != 0u) { dtable[i] = dtable[i] + acc; } else { dtable[i] = acc; }
}
