// Adam (L2 penalty added to the gradient, like torch.optim.Adam) and AdamW (decoupled weight decay, like
// torch.optim.AdamW). Both run the same fused kernel, kernels/optim/adam.wgsl, selected by its DECOUPLED override; lr and
// the step's bias corrections are uniforms.
//
// Multi-tensor (the default, `multiTensor: true`, like torch's `foreach`): the kernel is elementwise and every
// parameter shares the hyperparameters, so all the parameters at the same step count are packed into arenas
// (gradients, weights, both moments; optim/arena.ts), updated by ONE dispatch, and copied back. The same kernel on the
// same vec4s gives the same numbers bit for bit as one dispatch per parameter (`multiTensor: false`, kept as the
// obviously right version and for the tests to compare against); only the launches differ: a DAR `small` step has 157
// Adam updates (docs/decisions/optim.md). Buffer copies are not dispatches, and a copy costs less than a dispatch on
// SwiftShader and GPUs alike.

import { runtime } from '../engine';
import { check } from '../errors';
import { zeros } from '../creation';
import { grid1d, kernel } from '../runtime';
import type { Tensor } from '../tensor';
import { checkRange, Optimizer, type LrScale, type ParamsInput, type ParamUpdate } from './optimizer';
import { arenaLayout, packArena, unpackArena } from './arena';
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

/** Floats per arena: 16 Mi (64 MiB), half of WebGPU's default maxStorageBufferBindingSize. */
const ARENA_FLOATS = 1 << 24;

export interface AdamOptions {
  lr: number;
  betas?: readonly [number, number];
  eps?: number;
  weightDecay?: number;
  /** One dispatch for all parameters at the same step count (default true), or one per parameter (false). */
  multiTensor?: boolean;
  /** Per-parameter lr multipliers by name (default 1): torch's param groups with their own lr. */
  lrScale?: LrScale;
}

class AdamBase extends Optimizer {
  readonly betas: readonly [number, number];
  readonly eps: number;
  readonly weightDecay: number;
  /** One dispatch for many parameters (see the file's header); may be switched between steps (same numbers). */
  multiTensor: boolean;

  constructor(
    kind: string,
    params: ParamsInput,
    opts: AdamOptions,
    defaultWeightDecay: number,
    private decoupled: boolean,
  ) {
    super(kind, params, opts.lr, opts.lrScale);
    this.betas = opts.betas ?? [0.9, 0.999];
    this.eps = opts.eps ?? 1e-8;
    this.weightDecay = opts.weightDecay ?? defaultWeightDecay;
    this.multiTensor = opts.multiTensor ?? true;
    check(
      typeof this.multiTensor === 'boolean',
      kind,
      `multiTensor must be a boolean, got ${String(opts.multiTensor)}`,
    );
    checkRange(kind, 'betas[0]', this.betas[0], 0, 1);
    checkRange(kind, 'betas[1]', this.betas[1], 0, 1);
    checkRange(kind, 'eps', this.eps, 0, Infinity);
    checkRange(kind, 'weightDecay', this.weightDecay, 0, Infinity);
  }

  protected initState(param: Tensor): Record<string, Tensor> {
    return { expAvg: zeros(param.shape).keep(), expAvgSq: zeros(param.shape).keep() };
  }

  protected update({ param, grad, state, lrScale }: ParamUpdate): void {
    const m = state.expAvg as Tensor;
    const v = state.expAvgSq as Tensor;
    const buffers = { grad: grad.buffer, p: param.buffer, m: m.buffer, v: v.buffer };
    this.dispatch(state.step, this.lr * lrScale, param.size, buffers);
  }

  /** Multi-tensor: per step count (the bias corrections depend on it) and lr, pack, one dispatch, unpack. */
  protected override updateAll(updates: readonly ParamUpdate[]): void {
    if (!this.multiTensor) return super.updateAll(updates);
    for (const [step, lrScale, group] of arenaGroups(updates)) {
      const parts = {
        grad: group.map((u) => u.grad),
        p: group.map((u) => u.param),
        m: group.map((u) => u.state.expAvg as Tensor),
        v: group.map((u) => u.state.expAvgSq as Tensor),
      };
      const layout = arenaLayout(parts.p);
      const [grad, p, m, v] = [parts.grad, parts.p, parts.m, parts.v].map((ts) => packArena(ts, layout, this.kind));
      this.dispatch(step, this.lr * lrScale, layout.size, { grad: grad.buffer, p: p.buffer, m: m.buffer, v: v.buffer });
      unpackArena(p, parts.p, layout);
      unpackArena(m, parts.m, layout);
      unpackArena(v, parts.v, layout);
      for (const arena of [grad, p, m, v]) arena.dispose(); // pooled again once this batch is submitted
    }
  }

  /** One adam.wgsl dispatch over n elements (one parameter, or an arena of many) at step t and learning rate lr. */
  private dispatch(
    t: number,
    lr: number,
    n: number,
    buffers: { grad: GPUBuffer; p: GPUBuffer; m: GPUBuffer; v: GPUBuffer },
  ): void {
    const [b1, b2] = this.betas;
    const n4 = Math.ceil(n / 4);
    runtime().dispatch({
      kernel: ADAM_KERNEL,
      constants: { DECOUPLED: this.decoupled ? 1 : 0 },
      params: {
        n4,
        lr,
        stepSize: lr / (1 - b1 ** t),
        invSqrtBc2: 1 / Math.sqrt(1 - b2 ** t),
        beta1: b1,
        oneMinusBeta1: 1 - b1,
        beta2: b2,
        oneMinusBeta2: 1 - b2,
        eps: this.eps,
        weightDecay: this.weightDecay,
      },
      buffers,
      groups: grid1d(n4, 64),
    });
  }
}

/** Updates grouped by step count and lr scale, each group cut to ≤ ARENA_FLOATS floats (or one parameter, if larger). */
function arenaGroups(updates: readonly ParamUpdate[]): [number, number, ParamUpdate[]][] {
  const groups: [number, number, ParamUpdate[]][] = [];
  const keys = new Map(updates.map((u) => [`${u.state.step} ${u.lrScale}`, [u.state.step, u.lrScale] as const]));
  for (const [step, scale] of keys.values()) {
    let group: ParamUpdate[] = [];
    let floats = 0;
    for (const u of updates.filter((x) => x.state.step === step && x.lrScale === scale)) {
      const n = 4 * Math.ceil(u.param.size / 4);
      if (group.length > 0 && floats + n > ARENA_FLOATS) {
        groups.push([step, scale, group]);
        [group, floats] = [[], 0];
      }
      group.push(u);
      floats += n;
    }
    groups.push([step, scale, group]);
  }
  return groups;
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
