// The optimizer base class: which parameters to update, under which names, and the state each one keeps.
//
// Subclasses implement `update(param, grad, state)`, which records one fused kernel dispatch updating the parameter and
// its state in place; `updateAll` may instead update many parameters in one dispatch (Adam's multi-tensor path).
// State tensors are created on a parameter's first step and `keep()`-ed, so `step()` may run inside `tidy()`. The
// state is keyed by parameter name (Module.namedParameters() names, like `layers.0.weight`) so a checkpoint can store
// it next to the weights.

import { check, WebgradError } from '../errors';
import { assertLive, Tensor } from '../tensor';

/** What an optimizer accepts: a Module (anything with namedParameters()), [name, tensor] pairs, or bare tensors. */
export type ParamsInput = { namedParameters(): [string, Tensor][] } | Iterable<Tensor | readonly [string, Tensor]>;

/** One parameter's optimizer state: the number of updates applied, plus named state tensors (same size as the param). */
export interface ParamState {
  step: number;
  [buffer: string]: Tensor | number;
}

/** One parameter's share of a step: its gradient, its state (step count already incremented), its lr multiplier. */
export interface ParamUpdate {
  param: Tensor;
  grad: Tensor;
  state: ParamState;
  lrScale: number;
}

/**
 * A parameter's learning rate as a multiple of the optimizer's, by name (torch's param groups, as one function): a
 * pretrained encoder fine-tuned slower than a fresh head, or a from-scratch one faster. Default: 1 for every name.
 */
export type LrScale = (name: string) => number;

export abstract class Optimizer {
  /** Parameters in the order given, with the names their state is kept under and their lr multiplier. */
  readonly params: readonly { name: string; param: Tensor; lrScale: number }[];
  /** Per-parameter state by parameter name; filled in on each parameter's first step. */
  readonly state: Record<string, ParamState> = {};
  protected lr: number;

  constructor(
    readonly kind: string,
    params: ParamsInput,
    lr: number,
    lrScale: LrScale = () => 1,
  ) {
    const list: { name: string; param: Tensor; lrScale: number }[] = [];
    const pairs = 'namedParameters' in params ? params.namedParameters() : params;
    for (const item of pairs) {
      const [name, param] = item instanceof Tensor ? [item.name ?? String(list.length), item] : item;
      assertLive(kind, param);
      check(!list.some((p) => p.name === name), kind, `two parameters are both named '${name}'`);
      check(!list.some((p) => p.param === param), kind, `parameter '${name}' is listed twice`);
      const scale = lrScale(name);
      check(Number.isFinite(scale) && scale > 0, kind, `lrScale('${name}') must be a finite number > 0, got ${scale}`);
      list.push({ name, param, lrScale: scale });
    }
    this.params = list;
    this.lr = checkLr(kind, lr);
  }

  get learningRate(): number {
    return this.lr;
  }

  /** Sets the learning rate for the following steps (a uniform: nothing recompiles). */
  setLr(lr: number): void {
    this.lr = checkLr(this.kind, lr);
  }

  /** Applies one update to every parameter that has a gradient; parameters without one are skipped. */
  step(): void {
    // Validate everything before recording any dispatch, so a bad parameter never leaves half an update behind.
    for (const { name, param } of this.params) {
      if (!param.grad) continue;
      if (param.disposed) throw new WebgradError(this.kind, `parameter '${name}' was disposed`, [param.shape]);
      assertLive(this.kind, param.grad);
      check(param.grad.size === param.size, this.kind, `gradient of '${name}' has the wrong size`, [
        param.shape,
        param.grad.shape,
      ]);
    }
    const updates: ParamUpdate[] = [];
    for (const { name, param, lrScale } of this.params) {
      if (!param.grad) continue;
      const state = (this.state[name] ??= { step: 0, ...this.initState(param) });
      state.step++;
      updates.push({ param, grad: param.grad, state, lrScale });
    }
    this.updateAll(updates);
  }

  /** Records the updates of one step: one `update` each, unless a subclass batches them (multi-tensor Adam). */
  protected updateAll(updates: readonly ParamUpdate[]): void {
    for (const u of updates) this.update(u);
  }

  /** Disposes every parameter's gradient (the next backward() starts from zero). */
  zeroGrad(): void {
    for (const { param } of this.params) {
      param.grad?.dispose();
      param.grad = null;
    }
  }

  /** Frees the state tensors (the parameters stay). */
  dispose(): void {
    for (const st of Object.values(this.state)) for (const v of Object.values(st)) if (v instanceof Tensor) v.dispose();
    for (const k of Object.keys(this.state)) delete this.state[k];
  }

  /** The state tensors a parameter starts with (zero-filled and kept). */
  protected abstract initState(param: Tensor): Record<string, Tensor>;
  /** Records the fused update of `param` (and `state`, whose step is already incremented) from `grad`, at lr·lrScale. */
  protected abstract update(u: ParamUpdate): void;
}

function checkLr(op: string, lr: number): number {
  check(Number.isFinite(lr) && lr > 0, op, `learning rate must be a finite number > 0, got ${lr}`);
  return lr;
}

/** Throws unless `x` is finite and in [lo, hi) (or [lo, hi] when `closed`). */
export function checkRange(op: string, what: string, x: number, lo: number, hi: number, closed = false): void {
  const ok = Number.isFinite(x) && x >= lo && (closed ? x <= hi : x < hi);
  check(ok, op, `${what} must be in [${lo}, ${hi}${closed ? ']' : ')'}, got ${x}`);
}
