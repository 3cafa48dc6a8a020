// dropout: y[i] = x[i] · scale where element i is kept, else 0. Whether i is kept is a pure function of (seed, i),
// so backward regenerates the same mask from the seed (dx = dropout(gy) with the same seed and p) and no mask is
// stored.
//
// Element i is kept when the top 24 bits of hash(seed, i) are ≥ threshold = round(p · 2^24), i.e. with probability
// 1 − p; scale = 1 / (1 − p) (inverted dropout: the expected value of y is x). The CPU reference repeats the hash
// (src/engine/ops/shape.reference.ts), so tests compare masks bit for bit.
//
// Each invocation handles 4 consecutive elements as a vec4. Buffers are allocated in whole 16-byte units, so the
// last vec4 stays inside both buffers even when n % 4 ≠ 0 (its extra lanes land in y's padding).
//
// bindings: 0 uniform { n4: u32 (= ceil(n / 4)), seed: u32, threshold: u32, scale: f32 }
//           1 x: array<vec4<f32>> (n4)   2 y: array<vec4<f32>> (n4)
// dispatch: grid1d(n4, 64) workgroups of 64.

struct Params { n4: u32, seed: u32, threshold: u32, scale: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> y: array<vec4<f32>>;

// PCG output permutation as a 32-bit hash (Jarzynski & Olano, "Hash Functions for GPU Rendering", 2020), on 4 lanes.
fn pcg(v: vec4<u32>) -> vec4<u32> {
  let state = v * 747796405u + 2891336453u;
  let word = ((state >> ((state >> vec4<u32>(28u)) + 4u)) ^ state) * 277803737u;
  return (word >> vec4<u32>(22u)) ^ word;
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 64u;
  if (i >= p.n4) { return; }
  // A stream constant of its own keeps the mask independent of rand() drawn with the same seed.
  let base = pcg(vec4<u32>(p.seed ^ 0x2545F491u)).x;
  let idx = vec4<u32>(4u * i) + vec4<u32>(0u, 1u, 2u, 3u);
  let keep = (pcg(vec4<u32>(base) ^ idx) >> vec4<u32>(8u)) >= vec4<u32>(p.threshold);
  y[i] = select(vec4<f32>(0.0), x[i] * p.scale, keep);
}
