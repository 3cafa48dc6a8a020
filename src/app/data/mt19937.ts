// The Mersenne Twister (MT19937) exactly as numpy's legacy RandomState and CPython's `random` use it, so that the
// LNLN missing-data masks (docs/models.md §2.2) come out bit-identical to the Python code that defined the benchmark.
//
//   numpy:  np.random.seed(s)  = init_genrand(s)         np.random.uniform() = 53-bit double from two outputs
//   Python: random.seed(s)     = init_by_array(words(s)) random.sample(range(n), k) via getrandbits/_randbelow
//
// Pure integer arithmetic on uint32 words (Math.imul for the 32-bit products), so results are identical in every JS
// engine. No Node or DOM APIs.

const N = 624;
const M = 397;
const UPPER = 0x80000000;
const LOWER = 0x7fffffff;
const MATRIX_A = 0x9908b0df;

export class MT19937 {
  private readonly mt = new Uint32Array(N);
  private idx = N;

  /** numpy `np.random.seed(seed)` for an integer seed in [0, 2^32): Knuth's init_genrand. */
  constructor(seed = 5489) {
    this.seed(seed);
  }

  /** Re-seeds in place with init_genrand (numpy's legacy integer seeding). */
  seed(seed: number): this {
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
      throw new RangeError(`MT19937.seed: seed must be an integer in [0, 2^32), got ${seed}`);
    }
    const mt = this.mt;
    mt[0] = seed >>> 0;
    for (let i = 1; i < N; i++) {
      const p = mt[i - 1];
      mt[i] = (Math.imul(1812433253, p ^ (p >>> 30)) + i) >>> 0;
    }
    this.idx = N;
    return this;
  }

  /** init_by_array (CPython `random.seed`, numpy seeding with an array): mixes a key of uint32 words into the state. */
  seedArray(key: ArrayLike<number>): this {
    this.seed(19650218);
    const mt = this.mt;
    const len = Math.max(key.length, 1);
    const word = (j: number) => (key.length ? key[j] >>> 0 : 0);
    let i = 1;
    let j = 0;
    for (let k = Math.max(N, len); k > 0; k--) {
      const p = mt[i - 1];
      mt[i] = ((mt[i] ^ Math.imul(p ^ (p >>> 30), 1664525)) + word(j) + j) >>> 0;
      i++;
      j++;
      if (i >= N) {
        mt[0] = mt[N - 1];
        i = 1;
      }
      if (j >= len) j = 0;
    }
    for (let k = N - 1; k > 0; k--) {
      const p = mt[i - 1];
      mt[i] = ((mt[i] ^ Math.imul(p ^ (p >>> 30), 1566083941)) - i) >>> 0;
      i++;
      if (i >= N) {
        mt[0] = mt[N - 1];
        i = 1;
      }
    }
    mt[0] = UPPER; // guarantees a non-zero state
    this.idx = N;
    return this;
  }

  /** Regenerates all 624 words at once (the classic "twist"). */
  private twist(): void {
    const mt = this.mt;
    for (let i = 0; i < N; i++) {
      const y = (mt[i] & UPPER) | (mt[(i + 1) % N] & LOWER);
      mt[i] = mt[(i + M) % N] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
    }
    this.idx = 0;
  }

  /** Next tempered 32-bit output (genrand_int32), as an unsigned number. */
  nextU32(): number {
    if (this.idx >= N) this.twist();
    let y = this.mt[this.idx++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** numpy's `random_sample()` / `uniform(0, 1)`: (a·2^26 + b) / 2^53 with a = 27 bits, b = 26 bits. Exact. */
  uniform(): number {
    const a = this.nextU32() >>> 5;
    const b = this.nextU32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }

  /** `np.random.uniform(size=n)` into a new Float64Array (C order when n = rows·cols). */
  uniformArray(n: number, out = new Float64Array(n)): Float64Array {
    for (let i = 0; i < n; i++) out[i] = this.uniform();
    return out;
  }
}

/**
 * CPython's `random.Random` restricted to what LNLN calls: `seed(int)`, `getrandbits(k ≤ 32)`, `_randbelow(n)` and
 * `sample(range(n), k)`. Bit-exact for CPython 3.2+ (the algorithm of `sample` and `_randbelow_with_getrandbits` has
 * not changed since); checked against the interpreter by test/fixtures/make_mmsa_fixture.py.
 */
export class PythonRandom {
  private readonly mt = new MT19937();

  constructor(seed: number | bigint = 0) {
    this.seed(seed);
  }

  /** `random.seed(int)`: the absolute value split into little-endian 32-bit words, fed to init_by_array. */
  seed(seed: number | bigint): this {
    let n = BigInt(seed);
    if (n < 0n) n = -n;
    const key: number[] = [];
    while (n > 0n) {
      key.push(Number(n & 0xffffffffn));
      n >>= 32n;
    }
    if (key.length === 0) key.push(0);
    this.mt.seedArray(key);
    return this;
  }

  /** `random.getrandbits(k)` for 1 ≤ k ≤ 32: the top k bits of one output. */
  getrandbits(k: number): number {
    if (!Number.isInteger(k) || k < 1 || k > 32) throw new RangeError(`getrandbits: k must be in [1, 32], got ${k}`);
    return this.mt.nextU32() >>> (32 - k);
  }

  /** `random._randbelow(n)` (rejection sampling on n.bit_length() bits), for 0 ≤ n < 2^32. */
  randbelow(n: number): number {
    if (n <= 0) return 0;
    const k = 32 - Math.clz32(n);
    let r = this.getrandbits(k);
    while (r >= n) r = this.getrandbits(k);
    return r;
  }

  /** `random.random()`: a 53-bit double from two outputs (same construction as numpy's). */
  random(): number {
    return this.mt.uniform();
  }

  /**
   * `random.sample(range(n), k)`: k distinct indices in selection order. CPython picks between a partial
   * Fisher-Yates on a pool (small n) and rejection against a set (large n); both branches are reproduced.
   */
  sample(n: number, k: number): number[] {
    if (!Number.isInteger(n) || !Number.isInteger(k) || k < 0 || k > n) {
      throw new RangeError(`sample: need 0 <= k <= n, got n=${n}, k=${k}`);
    }
    const result = new Array<number>(k);
    let setsize = 21;
    if (k > 5) setsize += 4 ** Math.ceil(Math.log(k * 3) / Math.log(4));
    if (n <= setsize) {
      const pool = Array.from({ length: n }, (_, i) => i);
      for (let i = 0; i < k; i++) {
        const j = this.randbelow(n - i);
        result[i] = pool[j];
        pool[j] = pool[n - i - 1];
      }
    } else {
      const selected = new Set<number>();
      for (let i = 0; i < k; i++) {
        let j = this.randbelow(n);
        while (selected.has(j)) j = this.randbelow(n);
        selected.add(j);
        result[i] = j;
      }
    }
    return result;
  }
}
