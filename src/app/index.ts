/// <reference types="@webgpu/types" preserve="true" />
// The application's entry: the datasets, the sentiment models (DAR, DERL, late fusion) and their registry,
// training and evaluation, metrics and reports, checkpoints and inference, all built on the engine (src/engine/).

export * from './data/index';
export * from './eval/metrics';
export * from './eval/probes';
export * from './eval/report';
export * from './io/checkpoint';
export * from './io/model-file';
export * from './models/dar/index';
export * from './models/derl/index';
export * from './models/latefusion';
export * from './models/text-encoder';
export type * from './models/types';
export * from './models/registry';
export * from './inference';
export * from './train/index';
