// Builds the models of ./catalog.ts in the page, from a run's choices: one line per model.

import type { DatasetDims } from '../data/types';
import { DAR } from './dar/model';
import { darConfig } from './dar/config';
import { DERL } from './derl/model';
import { derlConfig } from './derl/config';
import { LateFusion } from './latefusion';
import type { ModelName, RunChoices } from './catalog';
import type { SentimentModel } from './types';

type Builder = (dims: DatasetDims, seed: number, c: RunChoices) => SentimentModel;

/** Keyed by every ModelName, so a model in the catalog without a builder does not type-check. */
const BUILDERS: Record<ModelName, Builder> = {
  dar: (dims, seed, c) => new DAR(darConfig(c.preset, dims, { seed, ablation: c.ablation, textUnk: c.textUnk })),
  derl: (dims, seed, c) => new DERL(derlConfig(c.preset, dims, { seed, textUnk: c.textUnk })),
  latefusion: (dims, seed) => new LateFusion({ dims, seed }),
};

/** A fresh model `name` for data of `dims`, initialised from `seed`. */
export function buildModel(name: ModelName, dims: DatasetDims, seed: number, c: RunChoices): SentimentModel {
  return BUILDERS[name](dims, seed, c);
}
