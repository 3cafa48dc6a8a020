// Page-side op for test/ops/topk.test.ts. Its gradient checks reach it through the derlGradcase scenario
// (test/page/scenarios-derl.ts), so it is not in test/ops/pages.ts. attrs: { k }.

import type { OpTable } from '../page/registry';

export const OPS: OpTable = {
  topkSoftmax: ([x], { k }, w) => w.topkSoftmax(x, k),
};
