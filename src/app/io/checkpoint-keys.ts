// Which tensors of a checkpoint are optimizer state (see ./checkpoint.ts for the layout). Kept apart from the loader so
// Node-side code (npm start's server, which derives model files) can use it without importing the GPU engine.

/** True for a tensor of optimizer state (the main optimizer's `optim.*` or an auxiliary one's `optim@<aux>.*`). */
export const isOptimizerKey = (name: string): boolean => name.startsWith('optim.') || name.startsWith('optim@');
