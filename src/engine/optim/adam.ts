// Adam (L2 penalty added to the gradient, like torch.optim.Adam) and AdamW (decoupled weight decay, like
// torch.optim.AdamW). Both run the same fused kernel, kernels/optim/adam.wgsl, selected by its DECOUPLED override; lr and
// the step's bias corrections are uniforms.

import { runtime } from '../engine';
import { zeros } from '../creation';
import { grid1d, kernel } from '../runtime';
import type { Tensor } from '../tensor';
import { checkRange, Optimizer, type ParamState, type ParamsInput } from './optimizer';
import adamSrc from '../../../kernels/optim/adam.wgsl';

const ADAM_KERNEL = kernel('adam', adamSrc, {
  params: {
    n4: 'u32',
    lr: 'f32',
    stepSize: 'f32',
    invSqrtBc2: 'f32',
    beta1: 'f32',
    oneMinusBeta1: 'f32',
    beta2: 'f32',
    oneMinusBeta2: 'f32',
    eps: 'f32',
    weightDecay: 'f32',
  },
  buffers: { grad: 'read', p: 'read_write', m: 'read_write', v: 'read_write' },
});

export interface AdamOptions {
  lr: number;
  betas?: readonly [number, number];
  eps?: number;
  weightDecay?: number;
}

class AdamBase extends Optimizer {
  readonly betas: readonly [number, number];
  readonly eps: number;
  readonly weightDecay: number;

  constructor(
    kind: string,
    params: ParamsInput,
    opts: AdamOptions,
    defaultWeightDecay: number,
    private decoupled: boolean,
  ) {
    super(kind, params, opts.lr);
    this.betas = opts.betas ?? [0.9, 0.999];
    this.eps = opts.eps ?? 1e-8;
    this.weightDecay = opts.weightDecay ?? defaultWeightDecay;
    checkRange(kind, 'betas[0]', this.betas[0], 0, 1);
    checkRange(kind, 'betas[1]', this.betas[1], 0, 1);
    checkRange(kind, 'eps', this.eps, 0, Infinity);
    checkRange(kind, 'weightDecay', this.weightDecay, 0, Infinity);
  }

  protected initState(param: Tensor): Record<string, Tensor> {
    return { expAvg: zeros(param.shape).keep(), expAvgSq: zeros(param.shape).keep() };
  }

  protected update(param: Tensor, grad: Tensor, state: ParamState): void {
    const [b1, b2] = this.betas;
    const t = state.step;
    const n4 = Math.ceil(param.size / 4);
    runtime().dispatch({
      kernel: ADAM_KERNEL,
      constants: { DECOUPLED: this.decoupled ? 1 : 0 },
      params: {
        n4,
        lr: this.lr,
        stepSize: this.lr / (1 - b1 ** t),
        invSqrtBc2: 1 / Math.sqrt(1 - b2 ** t),
        beta1: b1,
        oneMinusBeta1: 1 - b1,
        beta2: b2,
        oneMinusBeta2: 1 - b2,
        eps: this.eps,
        weightDecay: this.weightDecay,
      },
      buffers: {
        grad: grad.buffer,
        p: param.buffer,
        m: (state.expAvg as Tensor).buffer,
        v: (state.expAvgSq as Tensor).buffer,
      },
      groups: grid1d(n4, 64),
    });
  }
}

/** Adam; weightDecay (default 0) is an L2 penalty added to the gradient, as in torch.optim.Adam. */
export class Adam extends AdamBase {
  constructor(params: ParamsInput, opts: AdamOptions) {
    super('Adam', params, opts, 0, false);
  }
}

/** AdamW; weightDecay (default 0.01) shrinks the weights directly, p ← p·(1 − lr·wd), as in torch.optim.AdamW. */
export class AdamW extends AdamBase {
  constructor(params: ParamsInput, opts: AdamOptions) {
    super('AdamW', params, opts, 0.01, true);
  }
}
