// The peers under `npm run bench -- --runtime node`: tfjs's WebGPU backend and onnxruntime-web's WebGPU provider run in
// browsers only, so bench/run.mjs puts this module in place of bench/peers/tfjs.ts and bench/peers/ort.ts in the
// Node bundle, and the bench's compare section runs webgrad's rows alone there.

const browserOnly = (name: string) => async (): Promise<never> => {
  throw new Error(`${name} is benchmarked in the browser only (npm run bench without --runtime node)`);
};

export const initTfjs = browserOnly('tfjs (WebGPU backend)');
export const initOrt = browserOnly('onnxruntime-web (WebGPU provider)');
// What the compare rows (bench/ops/*.compare.ts) import; never reached, since the peers never initialise in Node.
export const tfInstance = browserOnly('tfjs (WebGPU backend)');
export const ortInstance = browserOnly('onnxruntime-web (WebGPU provider)');
