// webgrad: tensors on WebGPU buffers, reverse-mode autograd, hand-written WGSL kernels.

export { WebgradError, KernelError, type Shape } from './errors';
export { init, runtime, adapterInfo, describeAdapter, type EngineOptions } from './engine';
export type { AdapterSummary, InitOptions } from './gpu';
export { Runtime, kernel, f32bits, grid1d, type Kernel, type DispatchSpec, type Counters } from './runtime';
export { Tensor, tidy, tidyAsync, dispose, noGrad, isGradEnabled, record, empty, sameShape, shapeSize } from './tensor';
export { tensor, zeros, ones, full, rand, randn, manualSeed, nextSeed, fillInto } from './creation';
export { accumulateInto } from './autograd';
export * from './ops/elementwise';
export * from './ops/reduce';
export * from './ops/softmax';
export * from './ops/layernorm';
export * from './ops/matmul';
export * from './ops/shape';
export * from './ops/loss';
export * from './ops/dropout';
export * from './nn/module';
export * from './optim/index';
export * from './eval/metrics';
export * from './eval/report';
export * from './io/safetensors';
export * from './io/checkpoint';
export * from './data/index';
export * from './ops/lstm';
export * from './nn/lstm';
export * from './ops/infonce';
export * from './ops/club';
export * from './nn/club';
