// unary: y = f(x) elementwise, f chosen by OP (the compiler folds the switch, so each op is its own pipeline).
//
// bindings: 0 uniform { n: u32, s: f32, t: f32 }   1 x: array<vec4<f32>>   2 y: array<vec4<f32>> (n elements)
// constants: OP   0 neg, 1 abs, 2 exp, 3 log, 4 sqrt, 5 rsqrt, 6 tanh, 7 sigmoid, 8 relu, 9 gelu (exact, x·Φ(x)),
//                 10 leakyRelu (slope s), 11 pow (exponent s), 12 add s, 13 mul by s, 14 erf, 15 reciprocal,
//                 16 sin, 17 cos, 18 softplus (beta s, threshold t), 19 elu (alpha s), 20 gelu (tanh approximation),
//                 21 clip to [s, t]
// dispatch: grid1d(ceil(n / 4), 64): each invocation maps one vec4. Buffers are padded to 16 bytes, so the last vec4
//           may run past n into padding, which is never read back.
// The op numbers match UnaryOp in src/engine/ops/elementwise.ts and unary_grad.wgsl.

override OP: u32 = 0u;

struct Params { n: u32, s: f32, t: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> y: array<vec4<f32>>;

// ---- shared helpers (kernels/common): erf and Φ, an accurate tanh, x^e, and the small-argument helpers.
//#include "common/erf.wgsl"
//#include "common/tanh.wgsl"
//#include "common/pow.wgsl"
//#include "common/smooth.wgsl"

fn f(v: vec4<f32>) -> vec4<f32> {
  switch OP {
    case 0u: { return -v; }
    case 1u: { return abs(v); }
    case 2u: { return exp(v); }
    case 3u: { return log(v); }
    case 4u: { return sqrt(v); }
    case 5u: { return inverseSqrt(v); }
    case 6u: { return tanhAccurate(v); }
    case 7u: { return 1.0 / (1.0 + exp(-v)); }
    case 8u: { return max(v, vec4<f32>(0.0)); }
    case 9u: { return v * normalCdf(v); }
    case 10u: { return select(p.s * v, v, v > vec4<f32>(0.0)); }
    case 11u: { return powScalar(v, p.s); }
    case 12u: { return v + p.s; }
    case 13u: { return v * p.s; }
    case 14u: { return erfVec(v); }
    case 15u: { return 1.0 / v; }
    case 16u: { return sinQuadrant(v, 0u); }
    case 17u: { return sinQuadrant(v, 1u); }
    case 18u: { return select(softplusUnit(p.s * v) / p.s, v, p.s * v > vec4<f32>(p.t)); }
    case 19u: { return select(p.s * expm1Vec(v), v, v > vec4<f32>(0.0)); }
    case 20u: { return v / (1.0 + exp(-2.0 * geluTanhArg(v))); }
    case 21u: { return min(max(v, vec4<f32>(p.s)), vec4<f32>(p.t)); }
    default: { return v; }
  }
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 64u;
  if (i * 4u >= p.n) { return; }
  y[i] = f(x[i]);
}
