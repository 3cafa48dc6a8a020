// Page-side entries for test/ops/conv1d.test.ts and the conv1d torch fixtures. attrs: conv1d()'s options ({ stride,
// padding, dilation, groups, kernel }); a third input, when present, is the bias.

import type { Conv1dModuleOptions, Conv1dOptions, Module, Tensor } from '../../src/index';
import type { OpTable } from '../page/registry';
import { kernelsRunBy } from './matmul.page';

/** The module made by the last conv1dModule call; its parameters outlive tidy(), so the next call frees them. */
let lastModule: Module | null = null;

export const OPS = {
  conv1d: ([x, weight, bias]: [Tensor, Tensor, Tensor?], attrs: Conv1dOptions | undefined, w) =>
    w.conv1d(x, weight, bias ?? null, attrs ?? {}),

  // The Conv1d module. attrs: { inChannels, outChannels, kernelSize, options }. Returns, flattened and concatenated,
  // forward(x), the weight and the bias (if any), so the test can check the output against the float64 reference
  // computed from the module's own parameters, and their initial range. Throws if the parameters are misnamed.
  conv1dModule: (
    [x]: [Tensor],
    attrs: { inChannels: number; outChannels: number; kernelSize: number; options?: Conv1dModuleOptions },
    w,
  ) => {
    lastModule?.dispose();
    const { inChannels, outChannels, kernelSize, options } = attrs;
    const m = new w.Conv1d(inChannels, outChannels, kernelSize, options ?? {});
    lastModule = m;
    const named = m
      .namedParameters()
      .map(([n, p]) => `${n}${JSON.stringify(p.shape)}`)
      .join(' ');
    const want =
      `weight${JSON.stringify([outChannels, inChannels / (options?.groups ?? 1), kernelSize])}` +
      (options?.bias === false ? '' : ` bias${JSON.stringify([outChannels])}`);
    if (named !== want) throw new Error(`Conv1d parameters are ${named}, expected ${want}`);
    const parts: Tensor[] = [w.flatten(m.forward(x)), w.flatten(m.weight)];
    if (m.bias) parts.push(m.bias);
    return w.concat(parts, 0);
  },

  // Not an op: a probe (called through tryOp) that conv1d without a kernel option runs the tuning profile's rung:
  // conv1d_gemm on the 'gpu' profile; on 'cpu', chosen by shape (conv1d_window for this 'same' conv of 17 steps).
  conv1dDefaultRungProbe: ([x, weight]: [Tensor, Tensor], _attrs: undefined, w) => {
    const want = w.tuning().profile === 'gpu' ? 'conv1d_gemm' : 'conv1d_window';
    const ran = kernelsRunBy(w, () => w.conv1d(x, weight, null, { padding: 'same' }));
    if (!ran.kernels.includes(want)) throw new Error(`default conv1d ran ${ran.kernels.join(', ')}, not ${want}`);
    return ran.y;
  },
} satisfies OpTable;
