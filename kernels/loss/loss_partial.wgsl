// loss_partial: first pass of a reduced loss. Invocation j sums f(pred[i] − tgt[i]) over i = j, j + parts,
// j + 2·parts, … < n (a serial loop, no barriers; neighbouring invocations read neighbouring elements) and writes
// scale times that sum to part[j]. f(d) = d² (KIND 0, mse) or |d| (KIND 1, l1).
//
// With parts = 1 this is the whole reduction (scale = 1/n for 'mean', 1 for 'sum'); otherwise loss_combine.wgsl
// adds the partials and applies the scale.
//
// bindings: 0 uniform { n: u32, parts: u32, scale: f32 }   1 pred: array<f32> (n)   2 tgt: array<f32> (n)
//           3 part: array<f32> (parts)
// constants: KIND = 0 mse, 1 l1.
// dispatch: ceil(parts / 64) workgroups of 64.

override KIND: u32 = 0u;

struct Params { n: u32, parts: u32, scale: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> pred: array<f32>;
@group(0) @binding(2) var<storage, read> tgt: array<f32>;
@group(0) @binding(3) var<storage, read_write> part: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let j = gid.x;
  if (j >= p.parts) { return; }
  var acc = 0.0;
  for (var i = j; i < p.n; i += p.parts) {
    let d = pred[i] - tgt[i];
    acc += select(d * d, abs(d), KIND == 1u);
  }
  part[j] = acc * p.scale;
}
