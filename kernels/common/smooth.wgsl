// Helpers of unary.wgsl / unary_grad.wgsl for the smooth maps whose textbook formula cancels or whose builtin is too
// coarse. WGSL has neither expm1 nor log1p: below 0.1 both use their series through the 7th power (relative error
// < 2e-8); above it the direct formula loses at most about 1e-6 relative.

// eˣ − 1.
fn expm1Vec(v: vec4<f32>) -> vec4<f32> {
  let series = v * (1.0 + v / 2.0 * (1.0 + v / 3.0 * (1.0 + v / 4.0 * (1.0 + v / 5.0 * (1.0 + v / 6.0 * (1.0 + v / 7.0))))));
  return select(exp(v) - 1.0, series, abs(v) < vec4<f32>(0.1));
}

// ln(1 + eᶻ) = max(z, 0) + ln(1 + e^(-|z|)): never overflows, and keeps its digits where eᶻ is tiny.
fn softplusUnit(z: vec4<f32>) -> vec4<f32> {
  let u = exp(-abs(z));
  let series = u * (1.0 - u * (0.5 - u * (1.0 / 3.0 - u * (0.25 - u * (0.2 - u * (1.0 / 6.0 - u / 7.0))))));
  return max(z, vec4<f32>(0.0)) + select(log(1.0 + u), series, u < vec4<f32>(0.1));
}

// √(2/π)·(x + 0.044715·x³), the argument of tanh in the tanh approximation of gelu (PyTorch's approximate='tanh').
// That gelu is computed as x·σ(2z), the same as x/2·(1 + tanh z) without its cancellation for negative x.
fn geluTanhArg(v: vec4<f32>) -> vec4<f32> {
  return 0.7978845608028654 * (v + 0.044715 * v * v * v);
}

// sin and cos: SwiftShader's builtins are off by up to 2e-4 (absolute) on [-10, 10]. Reduce x by the nearest multiple
// k of π/2, split in three floats (Cody–Waite, Cephes' constants: the leading ones have so few bits that k times them
// is exact, so r keeps its digits while k < 2¹³); take the Taylor polynomials on |r| ≤ π/4 (truncation < 2e-9) and
// pick by the quadrant k mod 4; cos x = sin(x + π/2) is quadrant k + 1. Measured: |error| ≤ 1e-6 on [-100, 100].
fn sinQuadrant(v: vec4<f32>, shift: u32) -> vec4<f32> {
  let k = round(v * 0.6366197723675814);
  let r = ((v - k * 1.5703125) - k * 4.837512969970703125e-4) - k * 7.54978995489188216e-8;
  let r2 = r * r;
  let s = r * (1.0 - r2 / 6.0 * (1.0 - r2 / 20.0 * (1.0 - r2 / 42.0 * (1.0 - r2 / 72.0))));
  let c = 1.0 - r2 / 2.0 * (1.0 - r2 / 12.0 * (1.0 - r2 / 30.0 * (1.0 - r2 / 56.0 * (1.0 - r2 / 90.0))));
  let q = (vec4<u32>(vec4<i32>(k) & vec4<i32>(3)) + shift) & vec4<u32>(3u);
  let base = select(s, c, (q & vec4<u32>(1u)) == vec4<u32>(1u));
  return select(base, -base, q >= vec4<u32>(2u));
}
