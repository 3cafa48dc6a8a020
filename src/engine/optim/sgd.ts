// Stochastic gradient descent with optional momentum, Nesterov momentum and L2 weight decay (torch.optim.SGD with
// dampening 0). One fused kernel dispatch per parameter: kernels/optim/sgd.wgsl.

import { runtime } from '../engine';
import { check } from '../errors';
import { zeros } from '../creation';
import { grid1d, kernel } from '../runtime';
import type { Tensor } from '../tensor';
import { checkRange, Optimizer, type LrScale, type ParamsInput, type ParamUpdate } from './optimizer';
import sgdSrc from '../../../kernels/optim/sgd.wgsl';

const SGD_KERNEL = kernel('sgd', sgdSrc, {
  params: { n4: 'u32', lr: 'f32', momentum: 'f32', weightDecay: 'f32' },
  buffers: { grad: 'read', p: 'read_write', buf: 'read_write' },
});

export interface SGDOptions {
  lr: number;
  momentum?: number;
  weightDecay?: number;
  nesterov?: boolean;
  /** Per-parameter lr multipliers by name (default 1). */
  lrScale?: LrScale;
}

export class SGD extends Optimizer {
  readonly momentum: number;
  readonly weightDecay: number;
  readonly nesterov: boolean;
  /** Bound in place of a momentum buffer when there is none (the kernel declares the binding either way). */
  private placeholder: Tensor | null = null;

  constructor(params: ParamsInput, opts: SGDOptions) {
    super('SGD', params, opts.lr, opts.lrScale);
    this.momentum = opts.momentum ?? 0;
    this.weightDecay = opts.weightDecay ?? 0;
    this.nesterov = opts.nesterov ?? false;
    checkRange('SGD', 'momentum', this.momentum, 0, 1, true);
    checkRange('SGD', 'weightDecay', this.weightDecay, 0, Infinity);
    check(!this.nesterov || this.momentum > 0, 'SGD', 'Nesterov momentum needs momentum > 0');
  }

  protected initState(param: Tensor): Record<string, Tensor> {
    return this.momentum > 0 ? { momentumBuffer: zeros(param.shape).keep() } : {};
  }

  protected update({ param, grad, state, lrScale }: ParamUpdate): void {
    const buf = this.momentum > 0 ? (state.momentumBuffer as Tensor) : (this.placeholder ??= zeros([4]).keep());
    const n4 = Math.ceil(param.size / 4);
    runtime().dispatch({
      kernel: SGD_KERNEL,
      constants: { MOMENTUM: this.momentum > 0 ? 1 : 0, NESTEROV: this.nesterov ? 1 : 0 },
      params: { n4, lr: this.lr * lrScale, momentum: this.momentum, weightDecay: this.weightDecay },
      buffers: { grad: grad.buffer, p: param.buffer, buf: buf.buffer },
      groups: grid1d(n4, 64),
    });
  }

  override dispose(): void {
    super.dispose();
    this.placeholder?.dispose();
    this.placeholder = null;
  }
}
