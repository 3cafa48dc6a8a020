// sumsq: first pass of the global gradient norm. Invocation j writes the sum of squares of elements
// [j·CHUNK, (j+1)·CHUNK) of one gradient (CHUNK = 4·CHUNK4) into partials[base + j]; clip_norm.wgsl combines them.
// Serial per-invocation loops instead of a workgroup tree: barriers are slow on SwiftShader, and the second pass is
// short. All gradients of a model write into one partials buffer, each at its own base.
//
// bindings: 0 uniform { n: u32, base: u32 }   1 x: array<vec4<f32>> (ceil(n/4))   2 partials: array<f32>, written
// dispatch: grid1d(ceil(n / CHUNK), 64).

override CHUNK4: u32 = 256u;

struct Params { n: u32, base: u32 }
@group(0) @binding(0) var<uniform> u: Params;
@group(0) @binding(1) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> partials: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let j = gid.x + gid.y * nwg.x * 64u;
  let chunk = 4u * CHUNK4;
  if (j * chunk >= u.n) { return; }
  let q0 = j * CHUNK4;
  let q1 = min(q0 + CHUNK4, (u.n + 3u) / 4u);
  var acc = vec4<f32>(0.0);
  for (var q = q0; q < q1; q++) {
    // Lanes past n are padding with arbitrary contents: mask them out.
    let lane = vec4<u32>(0u, 1u, 2u, 3u) + 4u * q;
    let xi = select(vec4<f32>(0.0), x[q], lane < vec4<u32>(u.n));
    acc += xi * xi;
  }
  partials[u.base + j] = acc.x + acc.y + acc.z + acc.w;
}
