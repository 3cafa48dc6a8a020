// The ops the tests call in the page. Node-side tests send an op name, attributes and input arrays; the page builds
// tensors, runs the op and returns plain arrays. Each op family has its own file of entries,
// test/ops/<family>.page.ts, merged by test/ops/pages.ts; the functional linear is in ./ops-nn.ts.
//
// An entry declares what it takes: `inputs` as a tuple ([Tensor, Tensor, Tensor?]) or Tensor[] when the count varies,
// and `attrs` as the JSON it reads. The Node side derives the gradient checks' types from these declarations
// (test/gradcheck.ts), so a misspelt op, wrong attrs or a wrong input count fails to compile there.

import type { Tensor } from '../../src/index';
import type * as wg from '../../src/index';

/**
 * The shape every table satisfies (`satisfies OpTable`). Written as a method so its parameters are bivariant: an entry
 * may narrow `inputs` to a tuple (optional elements included) and `attrs` to its own type. Context gives unannotated
 * attrs the type never, so an entry that reads attrs must say what they are; one that leaves them `never` takes none.
 */
type Entry = { run(inputs: (Tensor | undefined)[], attrs: never, w: typeof wg): Tensor }['run'];
export type OpTable = Record<string, Entry>;

/**
 * How the page calls an entry: with whatever JSON arrived. The page cannot check a type the Node side already
 * checked when the test compiled, so it reads every table through this signature (bivariant, as above).
 */
type JsonEntry = { run(inputs: (Tensor | undefined)[], attrs: unknown, w: typeof wg): Tensor }['run'];
export type JsonOpTable = Readonly<Record<string, JsonEntry>>;

/** The inputs and attrs an entry of table T takes. */
export type InputsOf<T, K extends keyof T> = T[K] extends (inputs: infer I, attrs: never, w: never) => Tensor
  ? I
  : never;
export type AttrsOf<T, K extends keyof T> = T[K] extends (inputs: never, attrs: infer A, w: never) => Tensor
  ? A
  : never;
