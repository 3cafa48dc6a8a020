// Benchmark rows beyond the matmul ladder, in the order `npm run bench` prints them. Each op family writes its rows in
// bench/ops/<family>.ts as `export const BENCHES: KernelBench[]` (see bench/cases.ts) and its side-by-side rows
// against the peers in bench/ops/<family>.compare.ts as `export const COMPARE: CompareRow[]`, and adds them here.

import type { KernelBench } from './cases';
import type { CompareRow } from './peers/types';
import { BENCHES as conv1d } from './ops/conv1d';
import { BENCHES as attention } from './ops/attention';
import { BENCHES as lstm } from './ops/lstm';
import { BENCHES as infonce } from './ops/infonce';
import { BENCHES as club } from './ops/club';
import { BENCHES as topk } from './ops/topk';
import { BENCHES as rows } from './ops/rows';
import { COMPARE as matmulCompare } from './ops/matmul.compare';
import { COMPARE as conv1dCompare } from './ops/conv1d.compare';
import { COMPARE as attentionCompare } from './ops/attention.compare';
import { COMPARE as lstmCompare } from './ops/lstm.compare';
import { COMPARE as infonceCompare } from './ops/infonce.compare';
import { COMPARE as bertCompare } from './ops/bert.compare';

export const BENCHES: KernelBench[] = [...conv1d, ...attention, ...lstm, ...infonce, ...club, ...topk, ...rows];

export const COMPARE: CompareRow[] = [
  ...matmulCompare,
  ...conv1dCompare,
  ...attentionCompare,
  ...lstmCompare,
  ...infonceCompare,
  ...bertCompare,
];
