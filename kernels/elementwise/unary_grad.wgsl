// unary_grad: gx = gy · f'(x) elementwise in one launch, for the f of unary.wgsl chosen by OP.
//
// bindings: 0 uniform { n: u32, s: f32, t: f32 }   1 x: array<vec4<f32>> (the forward input)   2 gy: array<vec4<f32>>
//           3 gx: array<vec4<f32>> (n elements each)
// constants: OP as in unary.wgsl. neg, add s and mul by s need no x and are done with unary.wgsl on gy instead.
// Conventions at kinks, all PyTorch's: abs'(0) = 0, relu'(0) = 0, leakyRelu'(0) = slope, elu'(0) = alpha (the left
// derivative for relu-likes); clip passes the gradient on its bounds (s ≤ x ≤ t), as torch.clamp does; softplus
// switches to 1 above its threshold, as its forward does.
// dispatch: grid1d(ceil(n / 4), 64), one vec4 per invocation.

override OP: u32 = 0u;

struct Params { n: u32, s: f32, t: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> gy: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> gx: array<vec4<f32>>;

// ---- shared helpers (kernels/common): erf and Φ, an accurate tanh, x^e, and the small-argument helpers.
//#include "common/erf.wgsl"
//#include "common/tanh.wgsl"
//#include "common/pow.wgsl"
//#include "common/smooth.wgsl"

// f'(v) for each op (gelu: d/dx x·Φ(x) = Φ(x) + x·φ(x), φ the standard normal density).
fn df(v: vec4<f32>) -> vec4<f32> {
  switch OP {
    case 1u: { return sign(v); }
    case 2u: { return exp(v); }
    case 3u: { return 1.0 / v; }
    case 4u: { return 0.5 * inverseSqrt(v); }
    case 5u: { let r = inverseSqrt(v); return -0.5 * r * r * r; }
    case 6u: { let t = tanhAccurate(v); return 1.0 - t * t; }
    case 7u: { let sg = 1.0 / (1.0 + exp(-v)); return sg * (1.0 - sg); }
    case 8u: { return select(vec4<f32>(0.0), vec4<f32>(1.0), v > vec4<f32>(0.0)); }
    case 9u: { return normalCdf(v) + v * 0.3989422804014327 * exp(-0.5 * v * v); }
    case 10u: { return select(vec4<f32>(p.s), vec4<f32>(1.0), v > vec4<f32>(0.0)); }
    case 11u: { return p.s * powScalar(v, p.s - 1.0); }
    case 14u: { return 1.1283791670955126 * exp(-v * v); }
    case 15u: { let r = 1.0 / v; return -r * r; }
    case 16u: { return sinQuadrant(v, 1u); }
    case 17u: { return -sinQuadrant(v, 0u); }
    case 18u: { return select(1.0 / (1.0 + exp(-p.s * v)), vec4<f32>(1.0), p.s * v > vec4<f32>(p.t)); }
    case 19u: { return select(p.s * exp(v), vec4<f32>(1.0), v > vec4<f32>(0.0)); }
    case 20u: {
      let sg = 1.0 / (1.0 + exp(-2.0 * geluTanhArg(v))); // (1 + tanh z) / 2
      return sg + 2.0 * v * sg * (1.0 - sg) * 0.7978845608028654 * (1.0 + 0.134145 * v * v);
    }
    case 21u: { return select(vec4<f32>(0.0), vec4<f32>(1.0), (v >= vec4<f32>(p.s)) & (v <= vec4<f32>(p.t))); }
    default: { return vec4<f32>(1.0); }
  }
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 64u;
  if (i * 4u >= p.n) { return; }
  gx[i] = gy[i] * df(x[i]);
}
