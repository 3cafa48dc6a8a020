// Tensor: a float32 array of some shape, stored contiguously (row-major) in a GPU buffer.
//
// Several tensors may share one Storage (reshape and detach are free views); the buffer goes back to the runtime's
// pool when the last of them is disposed. Every tensor created inside `tidy()` is disposed when the tidy ends unless it
// is returned or `keep()`-ed, which is how a training loop runs for hours without leaking.

import { runtime } from './engine';
import { check, fmtShape, WebgradError, type Shape } from './errors';
import { DeviceLostError, type DeviceLossInfo, type Runtime } from './runtime';

/** A GPU buffer plus a reference count of the tensors viewing it. */
export class Storage {
  private refs = 1;
  /** The runtime that allocated the buffer: after init() again (a lost device), it must not go to the new one's pool. */
  readonly owner: Runtime;
  constructor(
    readonly buffer: GPUBuffer,
    readonly bytes: number,
  ) {
    this.owner = runtime();
  }
  /** True when more than one tensor views this storage (so writing in place would change the others). */
  get shared(): boolean {
    return this.refs > 1;
  }
  retain(): this {
    this.refs++;
    return this;
  }
  release(): void {
    if (--this.refs === 0) this.owner.release(this.buffer);
  }
}

/** What produced a tensor, for reverse-mode autograd. */
export interface TapeNode {
  op: string;
  inputs: Tensor[];
  /**
   * Given dL/d(output), returns dL/d(input_i) for each input with needs[i] (null elsewhere). `into[i]` is input i's
   * gradient so far, when another consumer already gave it one: a backward that can add its result into that buffer
   * in its own kernel (instead of writing a new tensor that autograd then accumulates: one dispatch fewer) does so and
   * returns `into[i]` itself. Closures that ignore `into` keep working.
   */
  backward: (gy: Tensor, needs: boolean[], into: readonly (Tensor | null)[]) => (Tensor | null | undefined)[];
}

// ------------------------------------------------------------------------------------------------- scopes

const scopes: Tensor[][] = [];
let gradEnabled = true;
/** Tensors made and not yet disposed (views included: each is a tensor, though they share one buffer). */
let liveTensors = 0;

/** How many tensors are alive (made and not disposed); memory() reports it. */
export function liveTensorCount(): number {
  return liveTensors;
}

export class Tensor {
  readonly shape: readonly number[];
  readonly size: number;
  requiresGrad = false;
  /** Accumulated gradient (leaves only). */
  grad: Tensor | null = null;
  /** How this tensor was computed; null for leaves and for anything made under noGrad. */
  node: TapeNode | null = null;
  /** Set by Module for parameters; used in messages and checkpoints. */
  name?: string;
  private storage: Storage | null;
  private kept = false;

  constructor(shape: Shape, storage: Storage) {
    this.shape = Object.freeze([...shape]);
    this.size = shapeSize(shape);
    this.storage = storage;
    liveTensors++;
    scopes[scopes.length - 1]?.push(this);
  }

  get rank(): number {
    return this.shape.length;
  }

  get disposed(): boolean {
    return this.storage === null;
  }

  get buffer(): GPUBuffer {
    if (!this.storage) throw new WebgradError('tensor', `used after dispose()${disposedNote(this)}`, [this.shape]);
    return this.storage.buffer;
  }

  /** How the device this tensor lives on was lost, or null while it works (or once disposed). */
  get deviceLoss(): DeviceLossInfo | null {
    return this.storage?.owner.deviceLost ?? null;
  }

  /** A tensor of another shape with the same elements, sharing this one's storage (no copy). */
  view(shape: Shape): Tensor {
    void this.buffer; // throws if disposed
    return new Tensor(shape, this.storage!.retain());
  }

  /** True when another live tensor shares this one's storage. */
  get sharesStorage(): boolean {
    return this.storage?.shared ?? false;
  }

  /** Frees the GPU memory (once no other view shares it). Safe to call twice. */
  dispose(): void {
    if (!this.storage) return;
    this.storage.release();
    this.storage = null;
    liveTensors--;
    this.node = null;
  }

  /** Exempts this tensor from the enclosing tidy() scopes. */
  keep(): this {
    this.kept = true;
    return this;
  }
  get isKept(): boolean {
    return this.kept;
  }

  async toArray(): Promise<Float32Array> {
    // Read through the runtime that made the buffer: after a lost device and init() again, that one says so.
    const buffer = this.buffer;
    const bytes = await this.storage!.owner.read(buffer, this.size * 4);
    return new Float32Array(bytes);
  }

  async item(): Promise<number> {
    check(this.size === 1, 'item', 'needs a tensor with exactly one element', [this.shape]);
    return (await this.toArray())[0];
  }

  /** Same values, cut from the tape: gradients do not flow through. Shares storage. */
  detach(): Tensor {
    return this.view(this.shape);
  }

  /** Reverse-mode autodiff from this tensor; see autograd.ts. */
  backward(grad?: Tensor): void {
    backwardImpl(this, grad);
  }

  toString(): string {
    return `Tensor${fmtShape(this.shape)}${this.requiresGrad ? ' requiresGrad' : ''}${this.disposed ? ' disposed' : ''}`;
  }
}

// Filled in by autograd.ts (kept separate so this file stays about storage and lifetimes).
let backwardImpl: (t: Tensor, grad?: Tensor) => void = () => {
  throw new Error('autograd not loaded');
};
export function setBackwardImpl(f: typeof backwardImpl): void {
  backwardImpl = f;
}

/**
 * Runs `fn`, then disposes every tensor created during it except those it returns (found in arrays and plain
 * objects) and those `keep()`-ed. Returned tensors move to the enclosing scope.
 */
export function tidy<T>(fn: () => T): T {
  scopes.push([]);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    for (const t of scopes.pop()!) if (!t.isKept) t.dispose();
    throw e;
  }
  if (result instanceof Promise) {
    scopes.pop();
    throw new WebgradError('tidy', 'fn must be synchronous (it returned a Promise); read values after the tidy');
  }
  const survivors = new Set<Tensor>();
  collectTensors(result, survivors);
  const scope = scopes.pop()!;
  for (const t of scope) if (!t.isKept && !survivors.has(t)) t.dispose();
  const parent = scopes[scopes.length - 1];
  if (parent) for (const t of survivors) parent.push(t);
  return result;
}

/** Tensors disposed when a tidyAsync() ended: a later use of one may be the mark of two overlapping calls. */
const disposedByAsyncScope = new WeakSet<Tensor>();

const OVERLAP_ADVICE =
  'tidyAsync() scopes form one stack, so two calls may not overlap (e.g. under Promise.all): ' +
  'tensors made by one are counted in the other. Await one before starting the next; nesting one inside another is fine';

/**
 * tidy() for async work, e.g. a training step that awaits a readback. Calls may nest but must not overlap: a call
 * that ends while one started after it is still running, or whose result an overlapping call already disposed, is
 * refused with a WebgradError (its tensors are disposed).
 */
export async function tidyAsync<T>(fn: () => Promise<T>): Promise<T> {
  const scope: Tensor[] = [];
  scopes.push(scope);
  const endScope = (keep: Set<Tensor>) => {
    const at = scopes.lastIndexOf(scope);
    if (at >= 0) scopes.splice(at, 1);
    for (const t of scope) {
      if (t.isKept || keep.has(t)) continue;
      t.dispose();
      disposedByAsyncScope.add(t);
    }
  };
  let result: T;
  try {
    result = await fn();
  } catch (e) {
    endScope(new Set());
    throw e;
  }
  const survivors = new Set<Tensor>();
  collectTensors(result, survivors);
  // A nested call always ends before the call around it, so this scope is on top unless another call overlaps it.
  const overlap =
    scopes[scopes.length - 1] !== scope
      ? 'it ended while a tidyAsync() started after it was still running'
      : [...survivors].some((t) => t.disposed)
        ? 'its result holds a tensor already disposed (by an overlapping tidyAsync() that ended first, or by fn itself)'
        : null;
  if (overlap) {
    endScope(new Set());
    for (const t of survivors) t.dispose();
    throw new WebgradError(
      'tidyAsync',
      `this call overlapped another tidyAsync() and was refused: ${overlap}. ${OVERLAP_ADVICE}`,
    );
  }
  endScope(survivors);
  const parent = scopes[scopes.length - 1];
  if (parent) for (const t of survivors) parent.push(t);
  return result;
}

/** The end of a use-after-dispose message: why the tensor may have been disposed without the caller knowing. */
function disposedNote(t: Tensor): string {
  return `${t.name ? ` (${t.name})` : ''}${
    disposedByAsyncScope.has(t)
      ? '; it was disposed when a tidyAsync() ended: the one it was made in or, if two calls overlapped (e.g. under ' +
        'Promise.all), the other one (tidyAsync() calls may nest but must not overlap)'
      : ''
  }`;
}

function collectTensors(x: unknown, out: Set<Tensor>): void {
  if (x instanceof Tensor) out.add(x);
  else if (Array.isArray(x)) for (const v of x) collectTensors(v, out);
  else if (x && typeof x === 'object' && Object.getPrototypeOf(x) === Object.prototype) {
    for (const v of Object.values(x)) collectTensors(v, out);
  } else if (x instanceof Map) for (const v of x.values()) collectTensors(v, out);
}

/** Disposes every tensor found in `x` (arrays and plain objects are searched). */
export function dispose(x: unknown): void {
  const s = new Set<Tensor>();
  collectTensors(x, s);
  for (const t of s) t.dispose();
}

// ------------------------------------------------------------------------------------------------ grad mode

export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Runs `fn` without recording the tape (inference, optimizer updates, gradient computations). */
export function noGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

/**
 * Attaches a tape node to `out` when any input requires grad and the tape is on. Ops call this right after computing
 * their forward result, with the backward closure written next to it.
 */
export function record(out: Tensor, op: string, inputs: Tensor[], backward: TapeNode['backward']): Tensor {
  if (gradEnabled && inputs.some((t) => t.requiresGrad)) {
    out.requiresGrad = true;
    out.node = { op, inputs, backward };
  }
  return out;
}

// ------------------------------------------------------------------------------------------------ helpers

export function shapeSize(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Throws a WebgradError naming `op` if a shape is malformed or a tensor is disposed. */
export function assertLive(op: string, ...ts: Tensor[]): void {
  for (const t of ts) {
    if (!(t instanceof Tensor)) throw new WebgradError(op, `expected a Tensor, got ${describe(t)}`);
    if (t.disposed) throw new WebgradError(op, `input tensor was disposed${disposedNote(t)}`, [t.shape]);
    const loss = t.deviceLoss;
    if (loss) throw new DeviceLostError(op, loss);
  }
}

function describe(x: unknown): string {
  if (x === null) return 'null';
  if (Array.isArray(x)) return 'an array';
  return typeof x === 'object' ? ((x as object).constructor?.name ?? 'object') : typeof x;
}

export function checkShape(op: string, shape: Shape): void {
  check(Array.isArray(shape), op, `shape must be an array of integers, got ${describe(shape)} ${String(shape)}`);
  for (const d of shape) {
    check(Number.isInteger(d) && d >= 0, op, `shape entries must be non-negative integers, got ${fmtShape(shape)}`);
  }
}

/**
 * A new uninitialised tensor of `shape` (every element must then be written by a kernel). `op` names the caller in
 * the error thrown when the device cannot hold a tensor that large.
 */
export function empty(shape: Shape, op = 'empty'): Tensor {
  checkShape(op, shape);
  const bytes = shapeSize(shape) * 4;
  return new Tensor(shape, new Storage(runtime().acquire(bytes, undefined, { op, shape }), bytes));
}
