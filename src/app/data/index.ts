// Data layer: MMSA pickles, synthetic-mosi, LNLN's missing-data protocol. Pure TypeScript (browser and Node).

export * from './types';
export { MT19937, PythonRandom } from './mt19937';
export * from './missing';
export {
  KNOWN_MMSA_SHA256,
  MmsaDataset,
  readMmsaPickle,
  parseMmsaPickle,
  sha256Hex,
  type MmsaSplit,
  type MmsaReadOptions,
} from './mmsa';
export { NpArray, NpDtype, unpickle, toFloat32, toFloat64, toStrings } from './numpy-pickle';
export { batchIndices, type BatchPlanOptions } from './loader';
export {
  SyntheticMosi,
  syntheticMosi,
  syntheticWordValue,
  TINY_SPLIT_SIZES,
  SYNTHETIC_PARAMS,
  SYNTHETIC_VOCAB,
  SHARED_CONTENT_DEFAULT,
  type SyntheticOptions,
  type PlantedFactors,
} from './synthetic';
export { maskForMlm } from './mlm';
