// loadBertFolder (webgrad-gpu/node): a Hugging Face BERT folder on disk (config.json + model.safetensors, with
// bert-base-uncased's naming) loads onto Dawn and gives the PyTorch reference's outputs; a folder holding only
// pytorch_model.bin is a CheckpointError saying to convert it.

import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSafetensors, writeSafetensors, type F32Tensor } from '../../src/engine/io/safetensors';
import { relErr } from '../model-parity';

const root = path.resolve(__dirname, '../..');
let dir: string; // the bundle of src/node inside the repository (where `webgpu` resolves), and the BERT folders

beforeAll(async () => {
  fs.mkdirSync(path.join(root, 'dist'), { recursive: true });
  dir = fs.mkdtempSync(path.join(root, 'dist', 'node-bert-test-'));
  await build({
    entryPoints: [path.join(root, 'src/node/index.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    loader: { '.wgsl': 'text' },
    external: ['webgpu'],
    outfile: path.join(dir, 'node.mjs'),
    logLevel: 'warning',
  });
});
afterAll(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

async function inNode(body: string): Promise<any> {
  const script = path.join(dir, `run-${Math.random().toString(36).slice(2)}.mjs`);
  fs.writeFileSync(
    script,
    `const wg = await import('./node.mjs');\ntry { console.log(JSON.stringify(await (async () => { ${body} })())); }\n` +
      `catch (e) { console.log(JSON.stringify({ error: e.name, message: e.message })); }\nprocess.exit(0);\n`,
  );
  const { stdout } = await promisify(execFile)(process.execPath, [script], { timeout: 90_000 });
  return JSON.parse(stdout.trim().split('\n').at(-1)!);
}

describe('loadBertFolder', () => {
  it('loads a HF folder (bert. prefix, gamma/beta) and matches the PyTorch reference; a .bin-only folder says to convert', async () => {
    const fixture = readSafetensors(
      new Uint8Array(fs.readFileSync(path.join(root, 'test/fixtures/bert_tiny.safetensors'))),
    );
    const c = JSON.parse(fixture.metadata.config);
    const folder = path.join(dir, 'bert-tiny');
    fs.mkdirSync(folder);
    const hf = new Map<string, F32Tensor>();
    for (const [k, v] of fixture.tensors) {
      if (!k.startsWith('param.')) continue;
      hf.set(
        `bert.${k.slice(6)}`
          .replace(/LayerNorm\.weight$/, 'LayerNorm.gamma')
          .replace(/LayerNorm\.bias$/, 'LayerNorm.beta'),
        v,
      );
    }
    fs.writeFileSync(path.join(folder, 'model.safetensors'), writeSafetensors(hf));
    fs.writeFileSync(
      path.join(folder, 'config.json'),
      JSON.stringify({
        model_type: 'bert',
        hidden_act: 'gelu',
        vocab_size: c.vocabSize,
        hidden_size: c.hidden,
        num_hidden_layers: c.layers,
        num_attention_heads: c.heads,
        intermediate_size: c.intermediate,
        max_position_embeddings: c.maxPosition,
        type_vocab_size: c.typeVocab,
        layer_norm_eps: 1e-12,
        pad_token_id: 0,
      }),
    );
    const input = (name: string) => ({
      data: Array.from(fixture.tensors.get(name)!.data),
      shape: fixture.tensors.get(name)!.shape,
    });
    const r = await inNode(`
      await wg.init();
      const bert = await wg.loadBertFolder(${JSON.stringify(folder)});
      const { hidden } = bert.forward(${JSON.stringify(input('input.ids'))}, ${JSON.stringify(input('input.types'))}, ${JSON.stringify(input('input.mask'))});
      return { hidden: Array.from(await hidden.toArray()), training: bert.training };`);
    expect(r.error, r.message).toBeUndefined();
    expect(r.training).toBe(false);
    expect(relErr(r.hidden, fixture.tensors.get('out.hidden')!.data)).toBeLessThanOrEqual(1e-4);

    const binOnly = path.join(dir, 'bert-bin');
    fs.mkdirSync(binOnly);
    fs.copyFileSync(path.join(folder, 'config.json'), path.join(binOnly, 'config.json'));
    fs.writeFileSync(path.join(binOnly, 'pytorch_model.bin'), 'not read');
    const e = await inNode(`await wg.init(); await wg.loadBertFolder(${JSON.stringify(binOnly)}); return {};`);
    expect(e.error).toBe('CheckpointError');
    expect(e.message).toContain('cannot read model.safetensors (only pytorch_model.bin is there');
  });
});
