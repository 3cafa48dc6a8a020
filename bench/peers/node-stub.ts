// The tfjs peer under `npm run bench -- --runtime node`: tfjs's bundle assumes a browser, so bench/run.mjs puts this
// module in place of bench/peers/tfjs.ts in the Node bundle and the tfjs column reports why it is empty. (ORT loads
// its own files at run time and is tried in Node as it is.)

const browserOnly = (name: string) => async (): Promise<never> => {
  throw new Error(`${name} is benchmarked in the browser only (npm run bench without --runtime node)`);
};

export const initTfjs = browserOnly('tfjs (WebGPU backend)');
// What the compare rows (bench/ops/*.compare.ts) import; never reached, since tfjs never initialises in Node.
export const tfInstance = browserOnly('tfjs (WebGPU backend)');
