// The browser-only peers under `npm run bench -- --runtime node`: tfjs's bundle assumes a browser, and jax-js has only
// its wasm CPU backend in Node (its README), so bench/build-bench.mjs puts this module in place of bench/peers/tfjs.ts
// and bench/peers/jax.ts in the Node bundle and their columns report why they are empty. (ORT loads its own files at
// run time and is tried in Node as it is.)

const browserOnly = (name: string) => async (): Promise<never> => {
  throw new Error(`${name} is benchmarked in the browser only (npm run bench without --runtime node)`);
};

export const initTfjs = browserOnly('tfjs (WebGPU backend)');
export const initJax = browserOnly('jax-js (WebGPU backend)');
// What the compare rows (bench/ops/*.compare.ts) import; never reached, since these peers never initialise in Node.
export const tfInstance = browserOnly('tfjs (WebGPU backend)');
export const jaxInstance = browserOnly('jax-js (WebGPU backend)');
