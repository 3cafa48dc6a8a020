// Builds the models of ./catalog.ts in the page, from a run's choices: one line per model.

import type { DatasetDims } from '../data/types';
import { DAR } from './dar/model';
import { darConfig } from './dar/config';
import { DERL } from './derl/model';
import { derlConfig } from './derl/config';
import { LateFusion } from './latefusion';
import type { ModelName, RunChoices } from './catalog';
import type { SentimentModel } from './types';
import { FEATURE_TEXT, TINY_BERT, type BertSizes, type TextEncoderConfig } from './text-encoder-config';

/** The run's choices, and BERT's sizes when they come from a supplied folder's config.json (else TINY_BERT's). */
export type BuildChoices = RunChoices & { bert?: BertSizes };
type Builder = (dims: DatasetDims, seed: number, c: BuildChoices) => SentimentModel;

/** The text encoder a run's choices ask for. */
export function textEncoderOf(c: BuildChoices): TextEncoderConfig {
  const kind = c.textEncoder ?? 'features';
  if (kind === 'features') return FEATURE_TEXT;
  return { kind: 'bert', bert: c.bert ?? TINY_BERT, frozen: kind === 'bert-frozen' };
}

/** Keyed by every ModelName, so a model in the catalog without a builder does not type-check. */
const BUILDERS: Record<ModelName, Builder> = {
  dar: (dims, seed, c) =>
    new DAR(
      darConfig(c.preset, dims, { seed, ablation: c.ablation, textUnk: c.textUnk, textEncoder: textEncoderOf(c) }),
    ),
  derl: (dims, seed, c) =>
    new DERL(derlConfig(c.preset, dims, { seed, textUnk: c.textUnk, textEncoder: textEncoderOf(c) })),
  latefusion: (dims, seed) => new LateFusion({ dims, seed }),
};

/** A fresh model `name` for data of `dims`, initialised from `seed`. */
export function buildModel(name: ModelName, dims: DatasetDims, seed: number, c: BuildChoices): SentimentModel {
  return BUILDERS[name](dims, seed, c);
}
