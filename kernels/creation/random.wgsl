// random: counter-based random numbers. Element i of a tensor drawn with seed s is a pure function of (s, i), so
// results are reproducible and independent of dispatch order or workgroup size.
//
// bindings: 0 uniform { n: u32, seed: u32, a: f32, b: f32 }   1 y: array<f32> (n)
// constants: NORMAL = 0 → uniform in [a, b);  NORMAL = 1 → normal with mean a, standard deviation b (Box–Muller).
// dispatch: grid1d(n, 64) workgroups of 64.

override NORMAL: u32 = 0u;

struct Params { n: u32, seed: u32, a: f32, b: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;

// PCG hash (Jarzynski & Olano, "Hash Functions for GPU Rendering", 2020).
fn pcg(v: u32) -> u32 {
  let state = v * 747796405u + 2891336453u;
  let word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
  return (word >> 22u) ^ word;
}

// A uniform float in [0, 1) from 24 random bits, so 1.0 is never produced.
fn uniform01(i: u32, stream: u32) -> f32 {
  return f32(pcg(pcg(p.seed ^ stream) ^ i) >> 8u) * (1.0 / 16777216.0);
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 64u;
  if (i >= p.n) { return; }
  if (NORMAL == 0u) {
    y[i] = p.a + (p.b - p.a) * uniform01(i, 0x9E3779B9u);
  } else {
    let u1 = 1.0 - uniform01(i, 0x9E3779B9u); // (0, 1]: log stays finite
    let u2 = uniform01(i, 0x7F4A7C15u);
    y[i] = p.a + p.b * sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
  }
}
