// Training and robustness evaluation of sentiment models on WebGPU (page-side; no Node APIs).

export { lazyInputs, lazyTrainingBatch } from './batches';
export {
  trainModel,
  validate,
  checkpointMeta,
  TrainingDiverged,
  CHECKPOINT_META_FORMAT,
  type TrainOptions,
  type TrainHooks,
  type TrainProgress,
  type EpochSummary,
  type CheckpointInfo,
  type StepContext,
  type TrainResult,
  type TrainCheckpointMeta,
} from './trainer';
export { evaluateRobustness, constantPredictorMetrics, type RateResult, type EvaluateOptions } from './evaluate';
