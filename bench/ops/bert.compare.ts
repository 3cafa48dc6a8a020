// One BERT-base encoder layer (hidden 768, 12 heads, feed-forward 3072, post-LN, erf GELU) on 32 × 50 tokens with
// padding (sentence lengths 25–50), beside tfjs, onnxruntime-web and jax-js: forward, and forward + backward (gradients of
// the input and all 16 parameters; ORT-web has no backward). Each is checked on its forward output against the float64
// reference (src/engine/nn/bert.reference.ts). webgrad runs its BertLayer module (src/engine/nn/bert.ts); the peers get
// the same layer written from their public primitives: matmuls, a −1e9 additive bias on padded keys, softmax,
// moments-based LayerNorm (tfjs) or LayerNormalization (ONNX opset 17), GELU from erf.

import { bertLayerRef } from '../../src/engine/nn/bert.reference';
import { node } from '../peers/onnx-graph';
import { jaxInstance, type JArray, type Jax } from '../peers/jax';
import { ortInstance } from '../peers/ort';
import { tfInstance, type Tf } from '../peers/tfjs';
import { maxRelErr, type CompareRow } from '../peers/types';
import { randomData } from '../random-data';
import { lazy, NO_ORT_BACKWARD, type Wg } from '../compare';
import { mulberry32 } from '../../src/engine/seed';
import type { KernelBenchInstance } from '../cases';

const [T, H, NH, I] = [50, 768, 12, 3072];
const DH = H / NH;

/** The layer's parameters in BertLayer's order: [name, shape]. Linear weights are (out, in). */
const PARAMS: [string, number[]][] = [
  ...['attention.self.query', 'attention.self.key', 'attention.self.value', 'attention.output.dense'].flatMap(
    (n): [string, number[]][] => [
      [`${n}.weight`, [H, H]],
      [`${n}.bias`, [H]],
    ],
  ),
  ['attention.output.LayerNorm.weight', [H]],
  ['attention.output.LayerNorm.bias', [H]],
  ['intermediate.dense.weight', [I, H]],
  ['intermediate.dense.bias', [I]],
  ['output.dense.weight', [H, I]],
  ['output.dense.bias', [H]],
  ['output.LayerNorm.weight', [H]],
  ['output.LayerNorm.bias', [H]],
];

/** The rows at batch B (fwd, fwd+bwd), with their data, reference and peers. */
function bertRows(B: number): CompareRow[] {
  const ROWS = B * T;
  const x = lazy(() => randomData(ROWS * H, 11, -1, 1));
  /** Weights U(±1/√in) (torch's Linear init), LayerNorm weights near 1 and biases near 0. */
  const params = lazy(() =>
    Object.fromEntries(
      PARAMS.map(([name, shape], i) => {
        const n = shape.reduce((a, d) => a * d, 1);
        const b = shape.length === 2 ? 1 / Math.sqrt(shape[1]) : 0.1;
        const data = randomData(n, 100 + i, -b, b);
        if (name.endsWith('LayerNorm.weight')) for (let j = 0; j < n; j++) data[j] += 1;
        return [name, data];
      }),
    ),
  );
  /** 1 = a real token, 0 = padding; lengths uniform in [25, 50]. */
  const keep = lazy(() => {
    const rnd = mulberry32(12);
    const k = new Float32Array(ROWS);
    for (let b = 0; b < B; b++) {
      const n = 25 + Math.floor(rnd() * 26);
      for (let t = 0; t < n; t++) k[b * T + t] = 1;
    }
    return k;
  });
  /** The peers' additive bias (B, 1, 1, T): 0 on real tokens, −1e9 on padding. */
  const bias = lazy(() => keep().map((v) => (v ? 0 : -1e9)));
  const gy = lazy(() => randomData(ROWS * H, 13));
  const want = lazy(() => [bertLayerRef(x(), [B, T, H], NH, I, params(), keep())]);

  function webgrad(w: Wg, backward: boolean): KernelBenchInstance {
    const layer = new w.BertLayer(H, NH, I);
    const named = layer.namedParameters();
    for (const [name, p] of named) w.runtime().write(p.buffer, params()[name]);
    const xt = w.tensor(x(), [B, T, H], { requiresGrad: backward }).keep();
    const g = backward ? w.tensor(gy(), [B, T, H]).keep() : null;
    const mask = Array.from(keep(), (v) => v !== 0);
    const clear = () => {
      layer.zeroGrad();
      xt.grad?.dispose();
      xt.grad = null;
    };
    return {
      run() {
        const y = layer.forward(xt, mask);
        if (g) y.backward(g);
        clear();
      },
      async check() {
        if (g) w.tidy(() => void layer.forward(xt, mask).backward(g)); // compiles the backward's pipelines too
        clear();
        const y = w.tidy(() => w.noGrad(() => layer.forward(xt, mask)));
        const got = await y.toArray();
        y.dispose();
        return maxRelErr([got], want());
      },
      dispose() {
        clear();
        layer.dispose();
        xt.dispose();
        g?.dispose();
      },
    };
  }

  function tfjs(tf: Tf, backward: boolean) {
    const inputs = [
      { data: x(), shape: [B, T, H], grad: backward },
      ...PARAMS.map(([name, shape]) => ({ data: params()[name], shape, grad: backward })),
      { data: bias(), shape: [B, 1, 1, T] },
    ];
    return tfInstance(
      tf,
      inputs,
      (xs) => {
        const [xt, ...rest] = xs;
        const p = Object.fromEntries(PARAMS.map(([name], i) => [name, rest[i]]));
        const maskBias = rest[PARAMS.length];
        const lin = (a: typeof xt, n: string) => tf.add(tf.matMul(a, p[`${n}.weight`], false, true), p[`${n}.bias`]);
        const split = (a: typeof xt) => tf.transpose(tf.reshape(a, [B, T, NH, DH]), [0, 2, 1, 3]);
        const ln = (a: typeof xt, n: string) => {
          const { mean, variance } = tf.moments(a, -1, true);
          const norm = tf.div(tf.sub(a, mean), tf.sqrt(tf.add(variance, 1e-12)));
          return tf.add(tf.mul(norm, p[`${n}.weight`]), p[`${n}.bias`]);
        };
        const x2 = tf.reshape(xt, [ROWS, H]);
        const [q, k, v] = ['query', 'key', 'value'].map((n) => split(lin(x2, `attention.self.${n}`)));
        const scores = tf.add(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(DH)), maskBias);
        const ctx = tf.reshape(tf.transpose(tf.matMul(tf.softmax(scores), v), [0, 2, 1, 3]), [ROWS, H]);
        const a = ln(tf.add(lin(ctx, 'attention.output.dense'), x2), 'attention.output.LayerNorm');
        const h = lin(a, 'intermediate.dense');
        const gelu = tf.mul(tf.mul(h, 0.5), tf.add(1, tf.erf(tf.mul(h, Math.SQRT1_2))));
        return tf.reshape(ln(tf.add(lin(gelu, 'output.dense'), a), 'output.LayerNorm'), [B, T, H]);
      },
      { gy: backward ? { data: gy(), shape: [B, T, H] } : undefined, want, checkForward: backward },
    );
  }

  /** The tfjs layer in jax-js, with its inputs; each array is consumed by its one use, or takes `.ref` for another. */
  function jaxLayer(jx: Jax, backward: boolean) {
    const np = jx.numpy;
    const inputs = [
      { data: x(), shape: [B, T, H], grad: backward },
      ...PARAMS.map(([name, shape]) => ({ data: params()[name], shape, grad: backward })),
      { data: bias(), shape: [B, 1, 1, T] },
    ];
    return jaxInstance(
      jx,
      inputs,
      ([xt, ...rest]) => {
        const p = Object.fromEntries(PARAMS.map(([name], i) => [name, rest[i]]));
        const maskBias = rest[PARAMS.length];
        const lin = (a: JArray, n: string) => np.matmul(a, p[`${n}.weight`].transpose()).add(p[`${n}.bias`]);
        const split = (a: JArray) => a.reshape([B, T, NH, DH]).transpose([0, 2, 1, 3]);
        const ln = (a: JArray, n: string) => {
          const d = a.ref.sub(a.mean(-1, { keepdims: true }));
          const variance = np.square(d.ref).mean(-1, { keepdims: true });
          return d
            .div(np.sqrt(variance.add(1e-12)))
            .mul(p[`${n}.weight`])
            .add(p[`${n}.bias`]);
        };
        const x2 = xt.reshape([ROWS, H]);
        const [q, k, v] = ['query', 'key', 'value'].map((n) => split(lin(x2.ref, `attention.self.${n}`)));
        const scores = np
          .matmul(q, np.swapaxes(k, -1, -2))
          .mul(1 / Math.sqrt(DH))
          .add(maskBias);
        const ctx = np.matmul(jx.nn.softmax(scores, -1), v).transpose([0, 2, 1, 3]).reshape([ROWS, H]);
        const a = ln(lin(ctx, 'attention.output.dense').add(x2), 'attention.output.LayerNorm');
        const h = lin(a.ref, 'intermediate.dense');
        const gelu = h.ref.mul(0.5).mul(jx.lax.erf(h.mul(Math.SQRT1_2)).add(1));
        return ln(lin(gelu, 'output.dense').add(a), 'output.LayerNorm').reshape([B, T, H]);
      },
      { gy: backward ? { data: gy(), shape: [B, T, H] } : undefined, want, checkForward: backward },
    );
  }

  /** (out, in) → (in, out): ONNX MatMul multiplies by the weight as given. */
  function transposed(w: Float32Array, out: number, inF: number): Float32Array {
    const t = new Float32Array(w.length);
    for (let o = 0; o < out; o++) for (let i = 0; i < inF; i++) t[i * out + o] = w[o * inF + i];
    return t;
  }

  const ORT_NAMES: Record<string, string> = {
    'attention.self.query': 'Wq',
    'attention.self.key': 'Wk',
    'attention.self.value': 'Wv',
    'attention.output.dense': 'Wo',
    'intermediate.dense': 'Wi',
    'output.dense': 'Wf',
    'attention.output.LayerNorm': 'ln1',
    'output.LayerNorm': 'ln2',
  };

  function ortFeeds(): [string, Float32Array, number[]][] {
    const feeds: [string, Float32Array, number[]][] = [['X', x(), [B, T, H]]];
    for (const [name, shape] of PARAMS) {
      const [mod, leaf] = [name.slice(0, name.lastIndexOf('.')), name.slice(name.lastIndexOf('.') + 1)];
      const short = ORT_NAMES[mod];
      if (shape.length === 2) feeds.push([short, transposed(params()[name], shape[0], shape[1]), [shape[1], shape[0]]]);
      else feeds.push([`${short}_${leaf === 'weight' ? 'g' : 'b'}`, params()[name], shape]);
    }
    feeds.push(['M', bias(), [B, 1, 1, T]]);
    return feeds;
  }

  function ortNodes() {
    const lin = (inp: string, w: string, out: string) => [
      node('MatMul', [inp, w], [`${out}_mm`]),
      node('Add', [`${out}_mm`, `${w}_b`], [out]),
    ];
    const heads = (inp: string, out: string, perm: number[]) => [
      node('Reshape', [inp, 'shape4'], [`${out}_r`]),
      node('Transpose', [`${out}_r`], [out], { perm }),
    ];
    return [
      ...lin('X', 'Wq', 'q'),
      ...lin('X', 'Wk', 'k'),
      ...lin('X', 'Wv', 'v'),
      ...heads('q', 'Q', [0, 2, 1, 3]),
      ...heads('k', 'Kt', [0, 2, 3, 1]),
      ...heads('v', 'V', [0, 2, 1, 3]),
      node('MatMul', ['Q', 'Kt'], ['S']),
      node('Mul', ['S', 'scale'], ['Ss']),
      node('Add', ['Ss', 'M'], ['Sm']),
      node('Softmax', ['Sm'], ['P'], { axis: -1 }),
      node('MatMul', ['P', 'V'], ['C4']),
      node('Transpose', ['C4'], ['Ct'], { perm: [0, 2, 1, 3] }),
      node('Reshape', ['Ct', 'shape3'], ['C']),
      ...lin('C', 'Wo', 'o'),
      node('Add', ['o', 'X'], ['r1']),
      node('LayerNormalization', ['r1', 'ln1_g', 'ln1_b'], ['A'], { axis: -1, epsilon: { f: 1e-12 } }),
      ...lin('A', 'Wi', 'h'),
      node('Mul', ['h', 'rsqrt2'], ['hs']),
      node('Erf', ['hs'], ['he']),
      node('Add', ['he', 'one'], ['he1']),
      node('Mul', ['h', 'he1'], ['hh']),
      node('Mul', ['hh', 'half'], ['G']),
      ...lin('G', 'Wf', 'f'),
      node('Add', ['f', 'A'], ['r2']),
      node('LayerNormalization', ['r2', 'ln2_g', 'ln2_b'], ['Y'], { axis: -1, epsilon: { f: 1e-12 } }),
    ];
  }

  function row(backward: boolean): CompareRow {
    const mm = 2 * ROWS * (4 * H * H + 2 * H * I) + 4 * B * NH * T * T * DH;
    return {
      group: 'bert',
      label: `${backward ? 'fwd+bwd' : 'fwd'} layer H=${H} heads=${NH} B=${B} T=${T} (padded)`,
      flops: backward ? 3 * mm : mm,
      checks: backward ? 'forward output' : 'output',
      webgrad: (w) => webgrad(w, backward),
      tfjs: (tf) => tfjs(tf, backward),
      jax: (jx) => jaxLayer(jx, backward),
      ort: backward
        ? undefined
        : (ctx) => {
            const feeds = ortFeeds();
            return ortInstance(
              ctx,
              {
                inputs: feeds.map(([n, , dims]) => [n, dims]),
                outputs: [['Y', [B, T, H]]],
                nodes: ortNodes(),
                initializers: [
                  { name: 'shape4', dims: [4], data: [B, T, NH, DH], int64: true },
                  { name: 'shape3', dims: [3], data: [B, T, H], int64: true },
                  { name: 'scale', dims: [], data: [1 / Math.sqrt(DH)] },
                  { name: 'rsqrt2', dims: [], data: [Math.SQRT1_2] },
                  { name: 'one', dims: [], data: [1] },
                  { name: 'half', dims: [], data: [0.5] },
                ],
              },
              feeds,
              { want },
            );
          },
      missing: backward ? { ort: NO_ORT_BACKWARD } : undefined,
    };
  }
  return [row(false), row(true)];
}

// 32 × 50: the shape (LNLN's batch and text length). 4 × 50: the same layer where a loaded 2-core machine
// lets the peers finish a call inside the browser's 600 s protocol timeout.
export const COMPARE: CompareRow[] = [...bertRows(32), ...bertRows(4)];
