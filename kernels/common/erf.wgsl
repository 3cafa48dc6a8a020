// erf and the normal CDF Φ for vec4<f32> (WGSL has no erf); included by unary.wgsl and unary_grad.wgsl.
//
// |z| < 0.5: the Maclaurin series erf(z) = 2/√π Σ (-1)^k z^(2k+1) / (k! (2k+1)) through k = 6; the first omitted
//            term is below 5e-10 there, and the odd series keeps full relative accuracy as z → 0.
// |z| ≥ 0.5: Abramowitz & Stegun 7.1.26, erfc(z) ≈ (a1 t + … + a5 t^5) e^(-z²) with t = 1 / (1 + 0.3275911 z),
//            absolute error ≤ 1.5e-7 for z ≥ 0. Φ uses this tail directly for x < 0 instead of 1 + erf(x/√2),
//            so gelu of a negative x does not lose its digits to cancellation (its relative error still grows in
//            the far tail: 3.6e-3 at x = -6, where gelu(x) = -5.9e-9 and the absolute error is 2e-11).
// Measured on SwiftShader against a float64 erf at 1001 points in [-6, 6] (test/ops/elementwise.test.ts): |Φ error|
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
// erf(z) itself: the series near 0, 1 − erfc beyond (absolute error ≤ 1.5e-7, as above).
fn erfVec(z: vec4<f32>) -> vec4<f32> {
  let far = sign(z) * (1.0 - erfcTail(z));
  return select(far, erfSeries(z), abs(z) < vec4<f32>(0.5));
}
