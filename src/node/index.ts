// webgrad in Node (`import { init } from '<package>/node'`): the engine's entry, with an init() that gets its WebGPU
// device from Dawn (the optional peer dependency `webgpu`) instead of navigator.gpu. Everything else is the engine as
// the browser entry has it. docs/node.md: install, the Vulkan driver fallback, the busy-wait and what it costs.

export * from '../engine/index';
export { init, type NodeInitOptions } from './init';
export { dawnAdapter, prepareVulkan, type DawnOptions, type DawnAdapter } from './dawn';
export { installPollBackoff, type PollMode } from './poll';
export { loadBertFolder } from './bert';
