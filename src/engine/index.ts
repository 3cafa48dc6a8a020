// The engine's entry: tensors on WebGPU buffers, reverse-mode autograd, hand-written WGSL kernels, modules,
// optimizers and tensor I/O. Nothing here imports the application (src/app/); test/boundary.test.ts checks it.

export { WebgradError, KernelError, check, type Shape } from './errors';
export { init, runtime, adapterInfo, deviceLost, describeAdapter, tuning, type EngineOptions } from './engine';
export {
  chooseTuning,
  isCpuEmulated,
  pickRung,
  TUNING_PROFILES,
  type Tuning,
  type TuningOption,
  type TuningProfile,
  type TuningVendor,
} from './tuning';
export { memory, trimPool, type MemoryInfo } from './memory';
export type { AdapterSummary, InitOptions } from './gpu';
export {
  Runtime,
  DeviceLostError,
  DEFAULT_POOL_BYTES,
  kernel,
  f32bits,
  grid1d,
  type Kernel,
  type DispatchSpec,
  type Counters,
  type DeviceLossInfo,
  type PipelineSpec,
} from './runtime';
export { formatProfile, type Profile, type KernelProfile, type ProfileOptions } from './profile';
export { Tensor, tidy, tidyAsync, dispose, noGrad, isGradEnabled, record, empty, sameShape, shapeSize } from './tensor';
export { tensor, zeros, ones, full, rand, randn, fillInto } from './creation';
// All of seed.ts: the models' bundle (dist/webgrad-models.js) imports its mixers from the engine's bundle.
export * from './seed';
export { accumulateInto } from './autograd';
export { setLaunchFusions, launchFusions } from './fusion';
export * from './ops/elementwise';
export * from './ops/reduce';
export * from './ops/cumsum';
export * from './ops/softmax';
export { ROW_KERNELS, ROW_MIN_LENGTH, type RowKernel, type RowOptions } from './ops/rows';
export * from './ops/layernorm';
export * from './ops/affine';
export * from './ops/weighted-sum';
export * from './ops/matmul';
export * from './ops/shape';
export * from './ops/loss';
export * from './ops/dropout';
export * from './nn/module';
export * from './nn/state-dict';
export * from './optim/index';
export * from './ops/conv1d';
export * from './nn/conv1d';
export * from './ops/attention';
export * from './ops/attention-mask';
export * from './nn/attention';
export * from './nn/transformer';
export * from './nn/bert';
export * from './nn/grouped';
export * from './ops/infonce';
export * from './ops/club';
export * from './nn/club';
export * from './ops/lstm';
export * from './nn/lstm';
export * from './io/safetensors';
export * from './io/bert-checkpoint';
export * from './ops/topk';
// Types that appear in the signatures above (options, the tape, storage, kernel contracts), so users can name them.
export type { TensorOptions, RandomOptions } from './creation';
export type { Storage, TapeNode } from './tensor';
export type { Access, Contract, ContractDecl, ParamType, ParamValue } from './contract';
export type { Assembled, SourceLine } from './include';
export type { AllocationLabel } from './runtime';
export type { Params as ParameterSource } from './optim/clip';
