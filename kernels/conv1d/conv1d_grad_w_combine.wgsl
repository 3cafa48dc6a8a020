// conv1d_grad_w_combine: adds up conv1d_grad_w_tiled's Z partial sums and splits off the bias column:
//   dw[c, j] = Σ_z part[z, c, j]  (j < J)        db[c] = Σ_z part[z, c, J]  (when hasBias)
// One invocation per element of part's (Cout, J1) plane, a serial loop over the Z chunks (Z is small).
//
// bindings: 0 uniform { n = Cout·J1, J1, Z, hasBias }   1 part: array<f32> (Z·Cout·J1)   2 dw: array<f32> (Cout·J)
//           3 db: array<f32> (Cout; any buffer when hasBias = 0)
// dispatch: grid1d(Cout·J1, 64) workgroups of 64.

struct Params { n: u32, J1: u32, Z: u32, hasBias: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> part: array<f32>;
@group(0) @binding(2) var<storage, read_write> dw: array<f32>;
@group(0) @binding(3) var<storage, read_write> db: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 64u;
  if (i >= p.n) { return; }
  var s = 0.0;
  for (var z = 0u; z < p.Z; z++) {
    s += part[z * p.n + i];
  }
  let c = i / p.J1;
  let j = i % p.J1;
  let J = p.J1 - p.hasBias;
  if (j < J) {
    dw[c * J + j] = s;
  } else {
    db[c] = s;
  }
}
