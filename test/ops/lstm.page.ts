// Page-side entries for test/ops/lstm.test.ts and the LSTM torch fixtures.
//
// lstm: inputs [x, h0?, c0?, ...weights in PyTorch's flat order]; attrs { numLayers?, bidirectional?, h0?, c0?
// (booleans: whether those inputs are present), kernel?, use? }. Returns output, h and c flattened and concatenated,
// so one weighted sum checks all three (use: 'output' returns the output alone, leaving h and c without gradient).

import type { LSTMOptions, LstmKernel, Module, Tensor } from '../../src/index';
import type { OpTable } from '../page/registry';
import { kernelsRunBy } from './matmul.page';

/** lstm's options as JSON: h0 and c0 say whether those inputs are present. */
interface LstmAttrs {
  numLayers?: number;
  bidirectional?: boolean;
  h0?: boolean;
  c0?: boolean;
  kernel?: LstmKernel;
  use?: 'all' | 'output';
  /** 'options' passes h0/c0 the old way, inside the options, which must be refused. */
  stateIn?: 'state' | 'options';
}

/** The module made by the last lstmModule call; its parameters outlive tidy(), so the next call frees them. */
let lastModule: Module | null = null;

export const OPS = {
  lstm: (inputs: Tensor[], attrs: LstmAttrs | undefined, w) => {
    const { numLayers = 1, bidirectional = false, h0 = false, c0 = false, kernel, use = 'all' } = attrs ?? {};
    let k = 0;
    const x = inputs[k++];
    const h0t = h0 ? inputs[k++] : null;
    const c0t = c0 ? inputs[k++] : null;
    // attrs.stateIn = 'options' passes h0/c0 the old way, inside the options, which must be refused.
    const opts: LSTMOptions & { kernel?: LstmKernel } = { numLayers, bidirectional, ...(kernel ? { kernel } : {}) };
    const state = { ...(h0t ? { h0: h0t } : {}), ...(c0t ? { c0: c0t } : {}) };
    const r =
      attrs?.stateIn === 'options'
        ? w.lstm(x, inputs.slice(k), { ...opts, ...state })
        : w.lstm(x, inputs.slice(k), opts, state);
    if (use === 'output') return r.output;
    return w.concat([w.flatten(r.output), w.flatten(r.h), w.flatten(r.c)], 0);
  },

  // Not an op: a probe for the memory test (called through tryOp with inputs [x, ...weights], attrs as for lstm).
  // Runs lstm forward and backward, then inference, each in a tidy, and throws if any GPU buffer outlives them.
  lstmLeakProbe: (inputs: Tensor[], attrs: LstmAttrs | undefined, w) => {
    const rt = w.runtime();
    const { numLayers = 1, bidirectional = false, kernel } = attrs ?? {};
    const opts = { numLayers, bidirectional, ...(kernel ? { kernel } : {}) };
    for (const t of inputs) t.requiresGrad = true;
    const before = rt.stats().liveBuffers;
    w.tidy(() => {
      const r = w.lstm(inputs[0], inputs.slice(1), opts);
      const loss = w.sum(w.add(w.sum(r.output), w.add(w.sum(r.h), w.sum(r.c))));
      const live = rt.stats().liveBuffers;
      loss.backward();
      // backward() may leave only the inputs' gradients behind (its temporaries are freed as it goes, not by tidy).
      const extra = rt.stats().liveBuffers - live - inputs.length;
      if (extra !== 0) throw new Error(`backward left ${extra} buffers besides the ${inputs.length} gradients`);
    });
    for (const t of inputs) {
      t.grad?.dispose();
      t.grad = null;
    }
    const afterTrain = rt.stats().liveBuffers;
    w.tidy(() => {
      w.noGrad(() => w.lstm(inputs[0], inputs.slice(1), opts));
    });
    const afterInfer = rt.stats().liveBuffers;
    if (afterTrain !== before || afterInfer !== before) {
      throw new Error(`live buffers ${before} before, ${afterTrain} after training, ${afterInfer} after inference`);
    }
    return inputs[0];
  },

  // Not an op: a probe (called through tryOp) that lstm without a kernel option runs the recurrence kernels of
  // attrs.want ('looped' → lstm_tiled, 'gemm' → matmul_shared + lstm_gemm) and none of the other rung's.
  // inputs [x, ...weights]; forward only, both directions.
  lstmDefaultRungProbe: (inputs: Tensor[], attrs: { want: 'looped' | 'gemm' }, w) => {
    const ran = kernelsRunBy(
      w,
      () => w.noGrad(() => w.lstm(inputs[0], inputs.slice(1), { bidirectional: true })).output,
    );
    const want = attrs.want === 'gemm' ? ['matmul_shared', 'lstm_gemm'] : ['lstm_tiled'];
    const not = attrs.want === 'gemm' ? ['lstm_tiled'] : ['lstm_gemm'];
    if (!want.every((k) => ran.kernels.includes(k)) || not.some((k) => ran.kernels.includes(k))) {
      throw new Error(`lstm on ${w.tuning().profile} ran ${ran.kernels.join(', ')}, not the ${attrs.want} rung`);
    }
    return ran.y;
  },

  // inputs [x, h0, c0]; attrs { inputSize, hiddenSize, options }: an LSTM module's forward(x, state) and lstm() on its
  // weights with the SAME state object, concatenated [module's output, h, c | op's output, h, c].
  lstmOpVsModule: (
    inputs: [Tensor, Tensor, Tensor],
    attrs: { inputSize: number; hiddenSize: number; options?: LSTMOptions },
    w,
  ) => {
    lastModule?.dispose();
    const { inputSize, hiddenSize, options = {} } = attrs;
    const m = new w.LSTM(inputSize, hiddenSize, options);
    lastModule = m;
    const state = { h0: inputs[1], c0: inputs[2] };
    const a = m.forward(inputs[0], state);
    const b = w.lstm(inputs[0], m.flatWeights(), { numLayers: m.numLayers, bidirectional: m.bidirectional }, state);
    return w.concat(
      [a.output, a.h, a.c, b.output, b.h, b.c].map((t) => w.flatten(t)),
      0,
    );
  },

  // The LSTM / BiLSTM module. inputs [x, h0?, c0?]; attrs { inputSize, hiddenSize, options, bi (use BiLSTM), h0?, c0?,
  // names (the expected parameter names and shapes) }. Returns output, h, c and then every parameter, flattened and
  // concatenated, so the test can recompute the output from the module's own parameters and check their range.
  lstmModule: (
    inputs: [Tensor, Tensor?, Tensor?],
    attrs: {
      inputSize: number;
      hiddenSize: number;
      options?: LSTMOptions;
      bi?: boolean;
      h0?: boolean;
      c0?: boolean;
      names: string;
    },
    w,
  ) => {
    lastModule?.dispose();
    const { inputSize, hiddenSize, options = {}, bi = false, h0 = false, c0 = false, names } = attrs;
    const m = bi ? new w.BiLSTM(inputSize, hiddenSize, options) : new w.LSTM(inputSize, hiddenSize, options);
    lastModule = m;
    const named = m
      .namedParameters()
      .map(([n, p]) => `${n}${JSON.stringify(p.shape)}`)
      .join(' ');
    if (named !== names) throw new Error(`LSTM parameters are ${named}, expected ${names}`);
    let k = 1;
    const r = m.forward(inputs[0], { h0: h0 ? inputs[k++] : null, c0: c0 ? inputs[k++] : null });
    const parts: Tensor[] = [r.output, r.h, r.c, ...m.flatWeights()].map((t) => w.flatten(t));
    return w.concat(parts, 0);
  },
} satisfies OpTable;
