// loadBertFolder: a Hugging Face BERT folder (config.json + model.safetensors, as `save_pretrained` or the Hub give
// them) read from disk into the engine's Bert.

import { readFile, access } from 'node:fs/promises';
import { join } from 'node:path';
import { CheckpointError } from '../engine/io/safetensors';
import { loadBert, type Bert, type LoadBertOptions } from '../engine/nn/bert';

/** Reads `folder`/config.json and `folder`/model.safetensors and loads them (loadBert); a missing file is a
 * CheckpointError naming it (a pytorch_model.bin alone must be converted to safetensors first). */
export async function loadBertFolder(folder: string, opts: LoadBertOptions = {}): Promise<Bert> {
  const read = async (name: string, hint = '') => {
    try {
      return await readFile(join(folder, name));
    } catch {
      throw new CheckpointError('mismatch', `BERT folder ${folder}: cannot read ${name}${hint}`, undefined, 'loadBert');
    }
  };
  const binOnly = await access(join(folder, 'pytorch_model.bin')).then(
    () =>
      ' (only pytorch_model.bin is there: save it as model.safetensors, e.g. save_pretrained(safe_serialization=True))',
    () => '',
  );
  const config = (await read('config.json')).toString('utf-8');
  const weights = await read('model.safetensors', binOnly);
  return loadBert({ config, weights: new Uint8Array(weights.buffer, weights.byteOffset, weights.byteLength) }, opts);
}
