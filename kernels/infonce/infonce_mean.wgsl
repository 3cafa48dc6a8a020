// infonce_mean: the loss, y[0] = scale · Σ_i rowloss[i] with scale = 1/N (one invocation, a serial loop over N
// rows: N is at most a few thousand, and a single loop beats a barrier tree on SwiftShader). For P problems
// (rowloss P·N), y[0] = pscale · Σ_pb (each problem's mean, added in order).
//
// bindings: 0 uniform { n, np: u32, scale, pscale: f32 }   1 rowloss: array<f32> (P·N)   2 y: array<f32> (1)
// dispatch: 1 workgroup of 1.

struct Params { n: u32, np: u32, scale: f32, pscale: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> rowloss: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(1)
fn main() {
  var total = 0.0;
  for (var pb = 0u; pb < p.np; pb++) {
    let b = pb * p.n;
    var s4 = vec4<f32>(0.0);
    let n4 = p.n & ~3u;
    for (var i = 0u; i < n4; i += 4u) {
      s4 += vec4<f32>(rowloss[b + i], rowloss[b + i + 1u], rowloss[b + i + 2u], rowloss[b + i + 3u]);
    }
    var s = (s4.x + s4.y) + (s4.z + s4.w);
    for (var i = n4; i < p.n; i++) { s += rowloss[b + i]; }
    let m = s * p.scale;
    total = select(total + m, m, pb == 0u);
  }
  y[0] = total * p.pscale;
}
