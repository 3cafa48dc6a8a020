// club_sum: the CLUB loss from club.wgsl's column partials, y[0] = scale · Σ_c part[c] with scale = 1/(N·T)
// (one invocation, a serial loop with four chains: cols = T·D is a few thousand at most in DAR).
//
// bindings: 0 uniform { cols: u32, scale: f32 }   1 part: array<f32> (cols)   2 y: array<f32> (1)
// dispatch: 1 workgroup of 1.

struct Params { cols: u32, scale: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> part: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(1)
fn main() {
  var s4 = vec4<f32>(0.0);
  let c4 = p.cols & ~3u;
  for (var c = 0u; c < c4; c += 4u) {
    s4 += vec4<f32>(part[c], part[c + 1u], part[c + 2u], part[c + 3u]);
  }
  var s = (s4.x + s4.y) + (s4.z + s4.w);
  for (var c = c4; c < p.cols; c++) { s += part[c]; }
  y[0] = s * p.scale;
}
