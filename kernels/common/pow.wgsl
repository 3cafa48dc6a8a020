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
