// gather_rows_grad: dtable[v, :] = Σ gy[k, :] over the positions k with idx[k] = v.
//
// Gather form, because WGSL has no float atomics: the host sorts the positions by index (a counting sort on the
// CPU) into `plan` = [start[0..V], pos[0..N)], where pos[start[v] .. start[v+1]) are the positions that read row v.
// Each invocation owns one element of dtable and sums its row's positions in order, so the result is deterministic;
// rows nobody read get 0. acc = 1 adds the sums into dtable's values (the gradient the table already has: autograd's
// `into`) instead, saving the accumulate launch: prev + sum, that launch's single rounding.
//
// bindings: 0 uniform { n: u32 (= V·D), d: u32, v: u32 (= V), acc: u32 }   1 plan: array<u32> (V + 1 + N)
//           2 gy: array<f32> (N, D)   3 dtable: array<f32> (V, D)
// dispatch: grid1d(n, 64) workgroups of 64. gather_rows_grad_vec4.wgsl is the same with vec4 elements.

struct Params { n: u32, d: u32, v: u32, acc: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> plan: array<u32>;
@group(0) @binding(2) var<storage, read> gy: array<f32>;
@group(0) @binding(3) var<storage, read_write> dtable: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 64u;
  if (i >= p.n) { return; }
  let row = i / p.d;
  let col = i - row * p.d;
  var acc = 0.0;
  for (var j = plan[row]; j < plan[row + 1u]; j++) {
    acc += gy[plan[p.v + 1u + j] * p.d + col];
  }
  if (p.acc != 0u) { dtable[i] = dtable[i] + acc; } else { dtable[i] = acc; }
}
