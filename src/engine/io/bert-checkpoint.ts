// Hugging Face BERT checkpoints (config.json + model.safetensors, as bert-base-uncased ships them) onto the engine's
// Bert (../nn/bert.ts). Everything here is checked from the config and the safetensors header alone, before any
// tensor is converted or any GPU work: a file that does not fit is one CheckpointError listing every tensor found
// wrong, with both shapes.
//
//   const bert = loadBert({ config: configJsonText, weights: modelSafetensorsBytes });   // Node: loadBertFolder(dir)
//
// What a real file holds beyond BertModel's names, and what is done with it:
//   "bert." prefix (BertForPreTraining, BertForMaskedLM, … save the encoder under it)      stripped
//   LayerNorm.gamma / LayerNorm.beta (the original TF-converted names, in bert-base-uncased)  read as weight / bias
//   cls.*, classifier.*, qa_outputs.* (task heads), embeddings.position_ids / token_type_ids (buffers)   ignored, listed
// Anything else the model lacks, any parameter the file lacks, and any shape that differs is an error.

import { fmtShape } from '../errors';
import { CheckpointError } from './safetensors';
import type { BertConfig } from '../nn/bert';

/** What loadBert reads from config.json (the rest of its keys are not needed). */
export interface HfBertConfigJson {
  model_type?: string;
  vocab_size: number;
  hidden_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  intermediate_size: number;
  max_position_embeddings: number;
  type_vocab_size: number;
  layer_norm_eps?: number;
  hidden_act?: string;
  position_embedding_type?: string;
  pad_token_id?: number | null;
  hidden_dropout_prob?: number;
  is_decoder?: boolean;
  add_cross_attention?: boolean;
}

const fail = (problems: string[]) =>
  new CheckpointError(
    'mismatch',
    `BERT checkpoint does not fit (${problems.length} problem${problems.length > 1 ? 's' : ''}): ${problems.join('; ')}`,
    problems,
    'loadBert',
  );

/** config.json (text or parsed) → BertConfig; a config the engine's Bert cannot run is a CheckpointError. */
export function bertConfigFromHF(json: string | HfBertConfigJson): BertConfig {
  let c: HfBertConfigJson;
  try {
    c = typeof json === 'string' ? (JSON.parse(json) as HfBertConfigJson) : json;
  } catch (e) {
    throw fail([`config.json is not valid JSON: ${(e as Error).message}`]);
  }
  const problems: string[] = [];
  if (typeof c !== 'object' || c === null) throw fail(['config.json must hold an object']);
  const ints = [
    'vocab_size',
    'hidden_size',
    'num_hidden_layers',
    'num_attention_heads',
    'intermediate_size',
    'max_position_embeddings',
    'type_vocab_size',
  ] as const;
  for (const k of ints) {
    if (!Number.isInteger(c[k]) || c[k] <= 0)
      problems.push(`config.json: ${k} must be a positive integer, got ${c[k]}`);
  }
  const refuse = (ok: boolean, what: string) => ok || problems.push(`config.json: ${what}`);
  refuse(c.model_type === undefined || c.model_type === 'bert', `model_type is "${c.model_type}", not "bert"`);
  refuse(c.hidden_size % c.num_attention_heads === 0, 'hidden_size must be a multiple of num_attention_heads');
  // HF's "gelu" is the erf form (ACT2FN["gelu"] = GELUActivation); the tanh forms would give other numbers.
  refuse((c.hidden_act ?? 'gelu') === 'gelu', `hidden_act "${c.hidden_act}" is not supported (only "gelu", erf)`);
  refuse(
    (c.position_embedding_type ?? 'absolute') === 'absolute',
    `position_embedding_type "${c.position_embedding_type}" is not supported (only "absolute")`,
  );
  refuse(!c.is_decoder && !c.add_cross_attention, 'decoder / cross-attention BERTs are not supported');
  if (problems.length) throw fail(problems);
  return {
    vocabSize: c.vocab_size,
    hidden: c.hidden_size,
    layers: c.num_hidden_layers,
    heads: c.num_attention_heads,
    intermediate: c.intermediate_size,
    maxPosition: c.max_position_embeddings,
    typeVocab: c.type_vocab_size,
    layerNormEps: c.layer_norm_eps ?? 1e-12,
    padTokenId: c.pad_token_id === undefined ? 0 : c.pad_token_id,
    hiddenDropout: c.hidden_dropout_prob ?? 0,
  };
}

/** Every parameter of Bert(config), by HF name, with its shape, in BertModel's order. */
export function bertShapes(c: BertConfig): [string, number[]][] {
  const { hidden: H, intermediate: I } = c;
  const lin = (name: string, out: number, inF: number): [string, number[]][] => [
    [`${name}.weight`, [out, inF]],
    [`${name}.bias`, [out]],
  ];
  const ln = (name: string) => lin(name, H, 0).map(([n]) => [n, [H]] as [string, number[]]);
  const out: [string, number[]][] = [
    ['embeddings.word_embeddings.weight', [c.vocabSize, H]],
    ['embeddings.position_embeddings.weight', [c.maxPosition, H]],
    ['embeddings.token_type_embeddings.weight', [c.typeVocab, H]],
    ...ln('embeddings.LayerNorm'),
  ];
  for (let l = 0; l < c.layers; l++) {
    const p = `encoder.layer.${l}`;
    out.push(...lin(`${p}.attention.self.query`, H, H), ...lin(`${p}.attention.self.key`, H, H));
    out.push(...lin(`${p}.attention.self.value`, H, H), ...lin(`${p}.attention.output.dense`, H, H));
    out.push(...ln(`${p}.attention.output.LayerNorm`), ...lin(`${p}.intermediate.dense`, I, H));
    out.push(...lin(`${p}.output.dense`, H, I), ...ln(`${p}.output.LayerNorm`));
  }
  if (c.pooler ?? true) out.push(...lin('pooler.dense', H, H));
  return out;
}

/** Keys a BERT file may hold that BertModel's parameters are not: task heads and registered buffers. */
const IGNORED = /^(cls|classifier|qa_outputs)\.|^embeddings\.(position_ids|token_type_ids)$/;

export interface BertLoadPlan {
  /** [model parameter name, the file's key] for every parameter. */
  map: [string, string][];
  /** The file's keys left unread (heads, buffers), as they appear in the file. */
  ignored: string[];
}

/**
 * Matches a file's tensors (its header: key → shape) to Bert(config)'s parameters; see the top of this file. Throws
 * one CheckpointError listing every missing, unexpected and mis-shaped tensor.
 */
export function planBertLoad(
  tensors: ReadonlyMap<string, { shape: readonly number[] }>,
  config: BertConfig,
): BertLoadPlan {
  // The file's name for each of our names (HF's: strip "bert.", gamma/beta → weight/bias).
  const byOurName = new Map<string, string>();
  const ignored: string[] = [];
  const problems: string[] = [];
  for (const key of tensors.keys()) {
    const ours = key.replace(/^bert\./, '').replace(/LayerNorm\.gamma$/, 'LayerNorm.weight');
    const name = ours.replace(/LayerNorm\.beta$/, 'LayerNorm.bias');
    if (IGNORED.test(name)) ignored.push(key);
    else if (byOurName.has(name)) problems.push(`"${key}" and "${byOurName.get(name)}" are the same parameter`);
    else byOurName.set(name, key);
  }
  const map: [string, string][] = [];
  for (const [name, shape] of bertShapes(config)) {
    const key = byOurName.get(name);
    if (key === undefined) {
      problems.push(`missing from the file: "${name}" ${fmtShape(shape)}`);
      continue;
    }
    byOurName.delete(name);
    const got = tensors.get(key)!.shape;
    if (got.length !== shape.length || got.some((d, i) => d !== shape[i])) {
      problems.push(`"${key}" is ${fmtShape(got)} in the file, the model's "${name}" is ${fmtShape(shape)}`);
    } else map.push([name, key]);
  }
  for (const [name, key] of byOurName) {
    const pooler = name.startsWith('pooler.') ? ' (the model was built without a pooler)' : '';
    problems.push(`unexpected in the file: "${key}" ${fmtShape(tensors.get(key)!.shape)}${pooler}`);
  }
  if (problems.length) throw fail(problems);
  return { map, ignored };
}
