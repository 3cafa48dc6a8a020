// unary_grad: gx = gy · f'(x) elementwise in one launch, for the f of unary.wgsl chosen by OP.
//
// bindings: 0 uniform { n: u32, s: f32 }   1 x: array<vec4<f32>> (the forward input)   2 gy: array<vec4<f32>>
//           3 gx: array<vec4<f32>> (n elements each)
// constants: OP as in unary.wgsl. neg, add s and mul by s need no x and are done with unary.wgsl on gy instead.
// Conventions at kinks: abs'(0) = 0, relu'(0) = 0, leakyRelu'(0) = slope (the left derivative for relu-likes).
// dispatch: grid1d(ceil(n / 4), 64), one vec4 per invocation.

override OP: u32 = 0u;

struct Params { n: u32, s: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> gy: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> gx: array<vec4<f32>>;

// ---- erf and the normal CDF (WGSL has no erf). Shared verbatim with unary.wgsl.
//
// |z| < 0.5: the Maclaurin series erf(z) = 2/√π Σ (-1)^k z^(2k+1) / (k! (2k+1)) through k = 6; the first omitted
//            term is below 5e-10 there, and the odd series keeps full relative accuracy as z → 0.
// |z| ≥ 0.5: Abramowitz & Stegun 7.1.26, erfc(z) ≈ (a1 t + … + a5 t^5) e^(-z²) with t = 1 / (1 + 0.3275911 z),
//            absolute error ≤ 1.5e-7 for z ≥ 0. Φ uses this tail directly for x < 0 instead of 1 + erf(x/√2),
//            so gelu of a negative x does not lose its digits to cancellation (its relative error still grows in
//            the far tail: 3.6e-3 at x = -6, where gelu(x) = -5.9e-9 and the absolute error is 2e-11).
// Measured on SwiftShader against a float64 erf at 1001 points in [-6, 6] (test/elementwise.test.ts): |Φ error|
// ≤ 1.3e-7, |gelu error| ≤ 3.8e-7 (mostly the float32 rounding of outputs up to 6), |gelu' error| ≤ 1.6e-7.
fn erfSeries(z: vec4<f32>) -> vec4<f32> {
  let z2 = z * z;
  let s = 1.0 + z2 * (-1.0 / 3.0 + z2 * (1.0 / 10.0 + z2 * (-1.0 / 42.0 + z2 * (1.0 / 216.0
        + z2 * (-1.0 / 1320.0 + z2 * (1.0 / 9360.0))))));
  return 1.1283791670955126 * z * s;
}
// erfc(|z|) for |z| ≥ 0.5 (A&S 7.1.26).
fn erfcTail(z: vec4<f32>) -> vec4<f32> {
  let a = abs(z);
  let t = 1.0 / (1.0 + 0.3275911 * a);
  let poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  return poly * exp(-a * a);
}
// Φ(x) = P(N(0,1) ≤ x) = (1 + erf(x/√2)) / 2.
fn normalCdf(v: vec4<f32>) -> vec4<f32> {
  let z = v * 0.7071067811865476;
  let tail = 0.5 * erfcTail(z);                   // Φ(-|x|)
  let far = select(tail, 1.0 - tail, v > vec4<f32>(0.0));
  return select(far, 0.5 + 0.5 * erfSeries(z), abs(z) < vec4<f32>(0.5));
}

// tanh without the builtin: SwiftShader's overflows to NaN past |x| ≈ 90 and loses relative accuracy near 0 (1e-3
// at x = 1e-5). |x| < 0.3: the odd Maclaurin series through x¹¹ (first omitted term < 3e-9 relative);
// otherwise (1 - e^(-2|x|)) / (1 + e^(-2|x|)) with the sign put back, which saturates cleanly to ±1.
fn tanhAccurate(v: vec4<f32>) -> vec4<f32> {
  let v2 = v * v;
  let series = v * (1.0 + v2 * (-1.0 / 3.0 + v2 * (2.0 / 15.0 + v2 * (-17.0 / 315.0 + v2 * (62.0 / 2835.0
             + v2 * (-1382.0 / 155925.0))))));
  let t = exp(-2.0 * abs(v));
  let far = sign(v) * (1.0 - t) / (1.0 + t);
  return select(far, series, abs(v) < vec4<f32>(0.3));
}

// NaN and +∞ as runtime values (a constant expression may not evaluate to either).
var<private> NAN_BITS: u32 = 0x7fc00000u;
var<private> INF_BITS: u32 = 0x7f800000u;

// x^e for a scalar exponent: integer exponents accept negative x (with the sign of an odd power); other exponents
// give NaN there, as in NumPy. e = 0 gives 1 everywhere and e = 2 is an exact square.
fn powScalar(v: vec4<f32>, e: f32) -> vec4<f32> {
  if (e == 0.0) { return vec4<f32>(1.0); }
  if (e == 1.0) { return v; }
  if (e == 2.0) { return v * v; }
  let m = select(pow(abs(v), vec4<f32>(e)), vec4<f32>(select(0.0, bitcast<f32>(INF_BITS), e < 0.0)), v == vec4<f32>(0.0));
  if (e != round(e)) { return select(m, vec4<f32>(bitcast<f32>(NAN_BITS)), v < vec4<f32>(0.0)); }
  let odd = e - 2.0 * floor(0.5 * e) == 1.0;
  if (odd) { return select(m, -m, v < vec4<f32>(0.0)); }
  return m;
}

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
    default: { return vec4<f32>(1.0); }
  }
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 64u;
  if (i * 4u >= p.n) { return; }
  gx[i] = gy[i] * df(x[i]);
}
