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

// a^b lane by lane, for a tensor exponent, with powScalar's rules per lane: 0^b is 1 for b = 0, 0 for b > 0 and +∞
// for b < 0; a negative base gives ±|a|^b for an integer b (the sign of an odd power) and NaN otherwise.
fn powVec(a: vec4<f32>, b: vec4<f32>) -> vec4<f32> {
  let zero = select(vec4<f32>(0.0), vec4<f32>(bitcast<f32>(INF_BITS)), b < vec4<f32>(0.0));
  let m = select(select(pow(abs(a), b), zero, a == vec4<f32>(0.0)), vec4<f32>(1.0), b == vec4<f32>(0.0));
  let whole = b == round(b);
  let odd = whole & ((b - 2.0 * floor(0.5 * b)) == vec4<f32>(1.0));
  let neg = select(vec4<f32>(bitcast<f32>(NAN_BITS)), select(m, -m, odd), whole);
  return select(m, neg, a < vec4<f32>(0.0));
}
