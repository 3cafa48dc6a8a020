/// <reference types="@webgpu/types" preserve="true" />
// webgrad's package entry: the engine only (src/engine/engine/). The models and their training have their own entry,
// src/app/index.ts (built as dist/webgrad-models.js).

export * from './engine/index';
