// Optimizers (one fused WGSL dispatch per parameter; Adam/AdamW one for all of them), gradient clipping on the GPU, and
// learning-rate schedules.

export { Optimizer, type LrScale, type ParamState, type ParamsInput, type ParamUpdate } from './optimizer';
export { SGD, type SGDOptions } from './sgd';
export { Adam, AdamW, type AdamOptions } from './adam';
export { clipGradNorm, type ClipOptions } from './clip';
export { linearWarmup, cosineSchedule, type CosineScheduleOptions } from './schedule';
