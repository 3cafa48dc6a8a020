// Reverse-mode autodiff over the tape that ops leave on their outputs (Tensor.node).
//
// Like micrograd: order the graph topologically once, then walk it backwards, so a tensor consumed by several ops
// has all its incoming gradients summed before its own backward runs (each node is visited exactly once).

import { runtime } from './engine';
import { check, WebgradError } from './errors';
import { grid1d, kernel } from './runtime';
import { ones } from './creation';
import { launchFusions } from './fusion';
import { empty, noGrad, sameShape, setBackwardImpl, Tensor } from './tensor';
import accumulateSrc from '../../kernels/autograd/accumulate.wgsl';

const ACCUMULATE = kernel('accumulate', accumulateSrc, {
  params: { n4: 'u32', alpha: 'f32' },
  buffers: { x: 'read', y: 'read_write' },
});

/** y += alpha * x, in place (shapes must match). */
export function accumulateInto(y: Tensor, x: Tensor, alpha = 1): void {
  check(y.size === x.size, 'accumulate', 'sizes differ', [y.shape, x.shape]);
  const n4 = Math.ceil(y.size / 4);
  runtime().dispatch({
    kernel: ACCUMULATE,
    params: { n4, alpha },
    buffers: { x: x.buffer, y: y.buffer },
    groups: grid1d(n4, 64),
  });
}

/** Tensors reachable from `root` through tape nodes, each after all of its inputs. */
function topoOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const seen = new Set<Tensor>();
  // Iterative DFS: deep graphs (an LSTM unrolled over 500 steps) would overflow the JS stack recursively.
  const stack: [Tensor, number][] = [[root, 0]];
  seen.add(root);
  while (stack.length) {
    const top = stack[stack.length - 1];
    const [t, i] = top;
    const inputs = t.node?.inputs ?? [];
    if (i < inputs.length) {
      top[1]++;
      const u = inputs[i];
      if (u.requiresGrad && !seen.has(u)) {
        seen.add(u);
        stack.push([u, 0]);
      }
    } else {
      stack.pop();
      order.push(t);
    }
  }
  return order;
}

function backward(root: Tensor, seed?: Tensor): void {
  check(root.requiresGrad, 'backward', 'tensor does not require grad (no parameter with requiresGrad led to it)', [
    root.shape,
  ]);
  if (seed)
    check(seed.size === root.size, 'backward', 'gradient shape differs from the tensor', [root.shape, seed.shape]);
  else check(root.size === 1, 'backward', 'implicit gradient needs a single-element tensor; pass one', [root.shape]);
  check(!root.disposed, 'backward', 'the tensor was disposed', [root.shape]);
  const order = topoOrder(root);
  // Every input a backward closure will read must still be alive: checked up front, before any gradient is made.
  for (const t of order) {
    for (const u of t.node?.inputs ?? []) {
      if (u.disposed) {
        throw new WebgradError(
          'backward',
          `an input of ${t.node!.op} was disposed before backward()${u.name ? ` (${u.name})` : ''}; ` +
            'was it made inside a tidy() that has ended? Call backward() inside that tidy',
          [u.shape, t.shape],
        );
      }
    }
  }
  const grads = new Map<Tensor, Tensor>();
  try {
    noGrad(() => run(order, root, seed, grads));
  } catch (e) {
    // A failing backward closure must not strand the gradients made so far.
    for (const g of grads.values()) g.dispose();
    throw e;
  }
}

/** The backward walk itself: `grads` holds the gradients not yet consumed (disposed by the caller on a throw). */
function run(order: Tensor[], root: Tensor, seed: Tensor | undefined, grads: Map<Tensor, Tensor>): void {
  grads.set(root, seed ? owned(seed.view(root.shape)) : ones(root.shape));
  for (let k = order.length - 1; k >= 0; k--) {
    const t = order[k];
    const g = grads.get(t);
    if (!g) continue;
    if (!t.node) {
      grads.delete(t);
      // A leaf (parameter or input with requiresGrad): accumulate into .grad across backward() calls.
      if (t.grad) {
        accumulateInto(t.grad, g);
        g.dispose();
      } else {
        t.grad = g.keep();
      }
      continue;
    }
    const { op, inputs } = t.node;
    const needs = inputs.map((u) => u.requiresGrad);
    // An input that already has a gradient offers it: the closure may add into it in its own kernel and return it.
    const into = inputs.map((u, i) => (needs[i] && launchFusions() ? (grads.get(u) ?? null) : null));
    // Backward closures may return `g` itself or views of it (add, reshape): give each result its own tensor object.
    const gin = t.node.backward(g, needs, into).map((gi) => (gi === g ? g.view(g.shape) : gi));
    grads.delete(t);
    g.dispose();
    inputs.forEach((u, i) => {
      const gi = gin[i];
      if (!gi) return;
      if (!needs[i]) {
        gi.dispose();
        return;
      }
      check(gi.size === u.size, `${op} backward`, 'gradient size differs from its input', [u.shape, gi.shape]);
      const prev = grads.get(u);
      if (prev && gi === prev) return; // the closure already added its gradient into prev (into[i])
      if (prev) {
        accumulateInto(prev, gi);
        gi.dispose();
      } else {
        grads.set(u, owned(sameShape(gi.shape, u.shape) ? gi : reshaped(gi, u)));
      }
    });
  }
}

function reshaped(g: Tensor, like: Tensor): Tensor {
  const v = g.view(like.shape);
  g.dispose();
  return v;
}

/** `t` itself if no other tensor views its storage, else a private copy: gradients are accumulated in place. */
function owned(t: Tensor): Tensor {
  if (!t.sharesStorage) return t;
  const c = empty(t.shape);
  runtime().copy(t.buffer, c.buffer, t.size * 4);
  t.dispose();
  return c;
}

setBackwardImpl(backward);
