// Every user-facing failure in webgrad is a WebgradError: it names the op and the shapes involved, and is thrown
// before any GPU work is recorded, so a bad call never leaves half-recorded dispatches behind.

export type Shape = readonly number[];

export class WebgradError extends Error {
  override name = 'WebgradError';
  constructor(
    readonly op: string,
    message: string,
    readonly shapes: readonly Shape[] = [],
  ) {
    super(`${op}: ${message}${shapes.length ? ` (shapes: ${shapes.map(fmtShape).join(', ')})` : ''}`);
  }
}

/** A WGSL compile error or GPU validation error, naming the kernel file and the line. */
export class KernelError extends Error {
  override name = 'KernelError';
  constructor(
    readonly kernel: string,
    message: string,
  ) {
    super(`kernel ${kernel}: ${message}`);
  }
}

export const fmtShape = (s: Shape): string => `[${s.join(', ')}]`;

/** Throws WebgradError(op, msg, shapes) unless `cond` holds. */
export function check(cond: boolean, op: string, msg: string, shapes: readonly Shape[] = []): asserts cond {
  if (!cond) throw new WebgradError(op, msg, shapes);
}
