// Benchmark rows beyond the matmul ladder, in the order `npm run bench` prints them. Each area writes its rows in
// bench/cases-<area>.ts as `export const BENCHES: KernelBench[]` (see bench/cases.ts) and adds them here.

import type { KernelBench } from './cases';
import { BENCHES as conv1d } from './cases-conv1d';
import { BENCHES as attention } from './cases-attention';
import { BENCHES as lstm } from './cases-lstm';
import { BENCHES as contrastive } from './cases-contrastive';
import { BENCHES as derl } from './cases-derl';

export const BENCHES: KernelBench[] = [...conv1d, ...attention, ...lstm, ...contrastive, ...derl];
