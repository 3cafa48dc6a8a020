// Modules: objects that own parameters, found by walking their fields (PyTorch's nn.Module without the registration
// calls). A field holding a tensor with requiresGrad is a parameter; a field holding a Module, or an array of Modules
// or tensors, is walked recursively. Names are the field paths, `layers.0.weight`, as in PyTorch, and become the
// checkpoint keys and the optimizer state keys.

import { check } from '../errors';
import { rand } from '../creation';
import { nextSeed, subSeed } from '../seed';
import { assertLive, Tensor } from '../tensor';
import { relu, tanh } from '../ops/elementwise';
import { reshape } from '../ops/shape';
import { matmul, type MatmulActivation } from '../ops/matmul';
import { loadStateInto, type LoadStateDictOptions, type LoadStateDictResult, type StateDict } from './state-dict';

/** Marks `t` as a trainable parameter: requiresGrad, exempt from tidy() (it lives until disposed), optionally named. */
export function parameter(t: Tensor, name?: string): Tensor {
  assertLive('parameter', t);
  t.requiresGrad = true;
  if (name !== undefined) t.name = name;
  return t.keep();
}

export abstract class Module {
  /** Training mode (the default) or evaluation mode; layers such as dropout read it. */
  training = true;

  /**
   * Every parameter reachable from this module's fields, depth first in field order, each once (a shared parameter
   * keeps its first name). Also records each name on the tensor (`tensor.name`) for error messages.
   */
  namedParameters(): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    const seen = new Set<Tensor>();
    for (const [path, value] of this.walk()) {
      if (value instanceof Tensor && !seen.has(value)) {
        seen.add(value);
        value.name = path;
        out.push([path, value]);
      }
    }
    return out;
  }

  parameters(): Tensor[] {
    return this.namedParameters().map(([, p]) => p);
  }

  /**
   * PyTorch's state_dict(): every parameter by name, in namedParameters() order. The tensors are the parameters
   * themselves (not copies), so read them before the next optimizer step changes them.
   */
  stateDict(): Record<string, Tensor> {
    return Object.fromEntries(this.namedParameters());
  }

  /**
   * PyTorch's load_state_dict(): copies each value (a tensor, or {shape, data} as readSafetensors gives) into the
   * parameter of the same name. Strict by default (every parameter, nothing else); a mismatch is a StateDictError
   * naming each key and both shapes, thrown before anything is written.
   */
  loadStateDict(state: StateDict, opts: LoadStateDictOptions = {}): LoadStateDictResult {
    return loadStateInto(this.namedParameters(), state, opts);
  }

  /** This module and every module below it, with their paths ('' for this one). */
  namedModules(): [string, Module][] {
    const out: [string, Module][] = [['', this]];
    for (const [path, value] of this.walk()) if (value instanceof Module) out.push([path, value]);
    return out;
  }

  /** Sets training mode here and in every submodule. */
  train(mode = true): this {
    for (const [, m] of this.namedModules()) m.training = mode;
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /** Disposes every parameter's gradient, so the next backward() starts from zero. */
  zeroGrad(): void {
    for (const p of this.parameters()) {
      p.grad?.dispose();
      p.grad = null;
    }
  }

  /** Frees every parameter and its gradient. */
  dispose(): void {
    for (const p of this.parameters()) {
      p.grad?.dispose();
      p.grad = null;
      p.dispose();
    }
  }

  /** Parameters and submodules below this module with their paths, parents before children, in field order. */
  private walk(): [string, Tensor | Module][] {
    const out: [string, Tensor | Module][] = [];
    const visiting = new Set<Module>([this]);
    const visit = (m: Module, prefix: string) => {
      const take = (path: string, v: unknown) => {
        if (v instanceof Tensor) {
          if (v.requiresGrad && !v.disposed) out.push([path, v]);
        } else if (v instanceof Module) {
          if (visiting.has(v)) return; // a back-reference (e.g. to a parent): not a child
          visiting.add(v);
          out.push([path, v]);
          visit(v, `${path}.`);
          visiting.delete(v);
        } else if (Array.isArray(v)) {
          v.forEach((item, i) => take(`${path}.${i}`, item));
        }
      };
      for (const [key, v] of Object.entries(m)) take(prefix + key, v);
    };
    visit(this, '');
    return out;
  }
}

/** A module mapping one tensor to one tensor; what Sequential chains. */
export interface UnaryModule extends Module {
  forward(x: Tensor): Tensor;
}

// --------------------------------------------------------------------------------------------------- Linear

/** y = x·Wᵀ + b over the last dimension: x (..., in), weight (out, in) as in PyTorch, bias (out) → (..., out). */
export function linear(x: Tensor, weight: Tensor, bias: Tensor | null = null, op = 'linear'): Tensor {
  return linearWith(x, weight, bias, op, null);
}

/** linear(), then the activation (in the product's launch where matmul can: its `activation` option). */
function linearWith(
  x: Tensor,
  weight: Tensor,
  bias: Tensor | null,
  op: string,
  activation: MatmulActivation | null,
): Tensor {
  assertLive(op, x, weight, ...(bias ? [bias] : []));
  const shapes = bias ? [x.shape, weight.shape, bias.shape] : [x.shape, weight.shape];
  check(weight.rank === 2, op, 'weight must be (out, in)', shapes);
  const [outF, inF] = weight.shape;
  check(x.rank >= 1 && x.shape[x.rank - 1] === inF, op, `input's last dimension must be ${inF} (in_features)`, shapes);
  check(!bias || (bias.rank === 1 && bias.shape[0] === outF), op, `bias must be (${outF})`, shapes);
  // Any leading dimensions fold into the matmul's rows (x is contiguous, so this is a free view).
  const rows = x.size / inF;
  const x2 = x.rank === 2 ? x : reshape(x, [rows, inF]);
  const y = matmul(x2, weight, { transB: true, bias, activation }); // (rows, out); bias (and act) in the store
  return x.rank === 2 ? y : reshape(y, [...x.shape.slice(0, -1), outF]);
}

export interface LinearOptions {
  /** Whether to add a learned bias (default true). */
  bias?: boolean;
  /** Seed for the initial weights (default: the next seed of the global sequence, see manualSeed). */
  seed?: number;
}

/** A fully connected layer, initialised like torch.nn.Linear: weight and bias ~ U(−1/√in, 1/√in). */
export class Linear extends Module implements UnaryModule {
  /** (out, in), as in PyTorch, so checkpoints map one to one. */
  readonly weight: Tensor;
  readonly bias: Tensor | null;

  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    opts: LinearOptions = {},
  ) {
    super();
    for (const [what, n] of [
      ['inFeatures', inFeatures],
      ['outFeatures', outFeatures],
    ] as const) {
      check(Number.isInteger(n) && n > 0, 'Linear', `${what} must be a positive integer, got ${n}`);
    }
    const bound = 1 / Math.sqrt(inFeatures);
    const seed = opts.seed ?? nextSeed();
    this.weight = parameter(rand([outFeatures, inFeatures], { low: -bound, high: bound, seed }));
    // A seed derived from the weight's, so Linear(seed 1)'s bias does not repeat Linear(seed 2)'s weights.
    const biasSeed = subSeed(seed, 1);
    this.bias =
      opts.bias === false ? null : parameter(rand([outFeatures], { low: -bound, high: bound, seed: biasSeed }));
  }

  /** x·Wᵀ + b, or act(x·Wᵀ + b) with `activation` (the same as relu()/gelu() of it, in one launch where it can). */
  forward(x: Tensor, activation: MatmulActivation | null = null): Tensor {
    return linearWith(x, this.weight, this.bias, 'Linear', activation);
  }
}

// ------------------------------------------------------------------------------------- containers, activations

/** Applies its layers in order; parameters are named `layers.<i>.<name>`. */
export class Sequential extends Module implements UnaryModule {
  readonly layers: UnaryModule[];

  constructor(...layers: UnaryModule[]) {
    super();
    this.layers = layers;
  }

  forward(x: Tensor): Tensor {
    const ls = this.layers;
    for (let i = 0; i < ls.length; i++) {
      // A Linear followed by ReLU or Tanh runs as one product with the activation in its store (launch fusions).
      const l = ls[i];
      const act = l instanceof Linear ? activationOf(ls[i + 1]) : null;
      x = act ? (l as Linear).forward(x, act) : l.forward(x);
      if (act) i++;
    }
    return x;
  }
}

/** The activation a module is, as Linear.forward's `activation`, or null. */
function activationOf(m: UnaryModule | undefined): MatmulActivation | null {
  return m instanceof ReLU ? 'relu' : m instanceof Tanh ? 'tanh' : null;
}

export class Tanh extends Module implements UnaryModule {
  forward(x: Tensor): Tensor {
    return tanh(x);
  }
}

export class ReLU extends Module implements UnaryModule {
  forward(x: Tensor): Tensor {
    return relu(x);
  }
}
