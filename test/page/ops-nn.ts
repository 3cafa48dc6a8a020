import type { OpTable } from './registry';

export const OPS: OpTable = {};
