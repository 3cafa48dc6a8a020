// Type-level tests of the test↔page bridge: `npx tsc --noEmit` compiles this file (vitest never runs it). Each
// `@ts-expect-error` line must fail to compile; if a change to the bridge's types let one through, tsc would report the
// directive as unused and fail. The lines without the directive must compile, so the checks are not vacuous.

import type { TestPage } from './page';
import { expectShapeError, gradcase, gradcheck, tryOp, untyped } from './gradcheck';
import { scenario } from './scenario';
import { matmulRef } from '../src/engine/ops/matmul.reference';

declare const page: TestPage;
const ref = ([a, b]: Float64Array[]) => matmulRef(a, [2, 3], b, [3, 4]);

export async function opNamesAttrsAndInputs(): Promise<void> {
  await gradcheck(page, {
    op: 'matmul',
    attrs: { transA: false },
    inputs: [{ shape: [2, 3] }, { shape: [3, 4] }],
    ref,
  });
  // @ts-expect-error a misspelt op name
  await gradcheck(page, { op: 'matmull', inputs: [{ shape: [2, 3] }, { shape: [3, 4] }], ref });
  await gradcheck(page, {
    op: 'matmul',
    // @ts-expect-error attrs matmul does not take
    attrs: { transpose: true },
    inputs: [{ shape: [2, 3] }, { shape: [3, 4] }],
    ref,
  });
  await gradcheck(page, {
    op: 'matmul',
    // @ts-expect-error an attr of the wrong type
    attrs: { kernel: 'fast' },
    inputs: [{ shape: [2, 3] }, { shape: [3, 4] }],
    ref,
  });
  // @ts-expect-error matmul takes two inputs
  await gradcheck(page, { op: 'matmul', inputs: [{ shape: [2, 3] }], ref });
  // @ts-expect-error pow's attrs are required
  await gradcheck(page, { op: 'pow', inputs: [{ shape: [3] }], ref: ([x]) => ({ data: x, shape: [3] }) });
  await gradcheck(page, {
    op: 'neg',
    // @ts-expect-error neg takes no attrs
    attrs: { p: 2 },
    inputs: [{ shape: [3] }],
    ref: ([x]) => ({ data: x, shape: [3] }),
  });
  // The reference sees the op's own attrs type: transA is a boolean there, not a string.
  await gradcheck(page, {
    op: 'matmul',
    attrs: {},
    inputs: [{ shape: [2, 3] }, { shape: [3, 4] }],
    // @ts-expect-error transA is boolean | undefined
    ref: (xs, attrs) => matmulRef(xs[0], [2, 3], xs[1], [3, 4], { transA: attrs?.transA === 'yes' }),
  });
}

export async function shapeErrorsAndRawCases(): Promise<void> {
  await expectShapeError(page, 'matmul', [
    [3, 4],
    [5, 6],
  ]);
  await expectShapeError(
    page,
    'matmul',
    [
      [3, 4],
      [4, 5],
    ],
    untyped({ transA: 'yes' }),
    'transA',
  ); // on purpose
  // @ts-expect-error a misspelt op name
  await expectShapeError(page, 'matmull', [
    [3, 4],
    [5, 6],
  ]);
  await expectShapeError(
    page,
    'matmul',
    [
      [3, 4],
      [4, 5],
    ],
    // @ts-expect-error ill-typed attrs must say untyped()
    { transA: 'yes' },
    'transA',
  );
  // @ts-expect-error matmulBias takes three inputs
  await tryOp(page, 'matmulBias', [
    [3, 4],
    [4, 5],
  ]);
  const base = { inputs: [{ shape: [3], data: [1, 2, 3] }], weights: [1, 1, 1], fdIndices: [[]], fdEps: 1e-2 };
  await gradcase(page, { op: 'leakyRelu', attrs: { slope: 0.2 }, ...base });
  // @ts-expect-error leakyRelu's slope is a number (or the name of a non-finite one)
  await gradcase(page, { op: 'leakyRelu', attrs: { slope: true }, ...base });
}

export async function scenarios(): Promise<void> {
  const r = await scenario(page, 'roundtrip', { data: [1, 2], shape: [2] });
  const values: number[] = r; // the result has the scenario's return type
  void values;
  await scenario(page, 'creation');
  // @ts-expect-error a misspelt scenario name
  await scenario(page, 'creatio');
  // @ts-expect-error roundtrip needs its args
  await scenario(page, 'roundtrip');
  // @ts-expect-error args of the wrong type
  await scenario(page, 'random', { n: '20', seed: 1 });
  // @ts-expect-error the result is not a string
  const wrong: string = await scenario(page, 'random', { n: 20, seed: 1 });
  void wrong;
}
