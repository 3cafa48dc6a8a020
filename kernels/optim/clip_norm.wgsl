// clip_norm: second pass of the global gradient norm: norm[0] = √(Σ partials[0..count)), by one invocation.
// The partials come from sumsq.wgsl (one per 1024 gradient elements), so the serial loop is short.
//
// bindings: 0 uniform { count: u32 }   1 partials: array<f32> (count)   2 norm: array<f32> (1), written
// dispatch: 1 workgroup of 1.

struct Params { count: u32 }
@group(0) @binding(0) var<uniform> u: Params;
@group(0) @binding(1) var<storage, read> partials: array<f32>;
@group(0) @binding(2) var<storage, read_write> norm: array<f32>;

@compute @workgroup_size(1)
fn main() {
  var s = 0.0;
  for (var j = 0u; j < u.count; j++) { s += partials[j]; }
  norm[0] = sqrt(s);
}
