// loss_combine: second pass of a reduced loss, y[0] = scale · Σ partials (one invocation, serial loop).
//
// bindings: 0 uniform { parts: u32, scale: f32 }   1 partials: array<f32> (parts)   2 y: array<f32> (1)
// dispatch: 1 workgroup of 1.

struct Params { parts: u32, scale: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> partials: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(1)
fn main() {
  var acc = 0.0;
  for (var j = 0u; j < p.parts; j++) { acc += partials[j]; }
  y[0] = acc * p.scale;
}
