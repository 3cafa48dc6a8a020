// Scenarios for the engine's Bert (src/engine/nn/bert.ts): PyTorch parity on the committed fixture, and loading
// Hugging Face checkpoints (names, shapes, config.json). The Node side is test/bert.test.ts.

import type * as wgType from '../../src/app/all';
import type { ScenarioTable } from './scenarios';
import { tryBeforeGpu } from './model-batches';

type W = typeof wgType;

function fromBase64(b64: string): Uint8Array {
  const bin = atob(b64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes;
}

/** The fixture's (B, T) input named `name` as { data, shape }. */
function ids(tensors: ReturnType<W['readSafetensors']>['tensors'], name: string) {
  const t = tensors.get(name)!;
  return { data: t.data, shape: [t.shape[0], t.shape[1]] as [number, number] };
}

export const SCENARIOS = {
  /**
   * PyTorch parity (test/fixtures/make_bert_fixture.py): builds the fixture's config, loads its weights through
   * loadStateDict, runs forward on its padded batch and backward of Σ hidden·Wh + Σ pooled·Wp; returns the outputs,
   * the loss and every parameter's gradient, by name.
   */
  bertParity: async ({ b64 }: { b64: string }, w: W) => {
    const { tensors, metadata } = w.readSafetensors(fromBase64(b64));
    const bert = new w.Bert(JSON.parse(metadata.config));
    const state = new Map([...tensors].filter(([k]) => k.startsWith('param.')).map(([k, v]) => [k.slice(6), v]));
    bert.loadStateDict(state);
    const out = await w.tidyAsync(async () => {
      const { hidden, pooled } = bert.forward(
        ids(tensors, 'input.ids'),
        ids(tensors, 'input.types'),
        ids(tensors, 'input.mask'),
      );
      const weight = (name: string) => w.tensor(tensors.get(name)!.data, [...tensors.get(name)!.shape]);
      const loss = w.add(w.sum(w.mul(hidden, weight('loss.hidden'))), w.sum(w.mul(pooled!, weight('loss.pooled'))));
      loss.backward();
      const grads: Record<string, number[] | null> = {};
      for (const [name, p] of bert.namedParameters()) grads[name] = p.grad ? Array.from(await p.grad.toArray()) : null;
      return {
        hidden: Array.from(await hidden.toArray()),
        pooled: Array.from(await pooled!.toArray()),
        loss: await loss.item(),
        grads,
      };
    });
    const names = bert.namedParameters().map(([n]) => n);
    bert.dispose();
    return { ...out, names };
  },

  /**
   * loadBert on a Hugging Face style file (`weights`, base64) and config.json text, then forward on the parity
   * fixture's batch: the outputs, or the error's name, code and message when loading throws.
   */
  bertLoad: async ({ weights, config, fixture }: { weights: string; config: string; fixture: string }, w: W) => {
    const { tensors } = w.readSafetensors(fromBase64(fixture));
    let bert: InstanceType<W['Bert']>;
    const live = w.runtime().stats().liveBuffers;
    try {
      bert = w.loadBert({ config, weights: fromBase64(weights) });
    } catch (e) {
      const err = e as InstanceType<W['CheckpointError']>;
      return {
        error: { name: err.name, code: err.code, message: err.message },
        liveDelta: w.runtime().stats().liveBuffers - live,
      };
    }
    const out = await w.tidyAsync(async () => {
      const { hidden, pooled } = bert.forward(
        ids(tensors, 'input.ids'),
        ids(tensors, 'input.types'),
        ids(tensors, 'input.mask'),
      );
      return { hidden: Array.from(await hidden.toArray()), pooled: pooled ? Array.from(await pooled.toArray()) : null };
    });
    const names = bert.namedParameters().map(([n]) => n);
    bert.dispose();
    return { ...out, names, error: null };
  },

  /** Bad configs and inputs: each must throw a WebgradError before any dispatch; returns what each threw. */
  bertBadInput: async (_: Record<string, never>, w: W) => {
    const cfg = { vocabSize: 10, hidden: 8, layers: 1, heads: 2, intermediate: 12, maxPosition: 6, typeVocab: 2 };
    const bert = new w.Bert(cfg);
    const ids = [
      [1, 2, 3],
      [4, 5, 0],
    ];
    const cases: Record<string, () => unknown> = {
      badHeads: () => new w.Bert({ ...cfg, heads: 3 }),
      badPad: () => new w.Bert({ ...cfg, padTokenId: 10 }),
      idOutOfRange: () => bert.forward([[1, 2, 10]]),
      raggedRows: () => bert.forward([[1, 2, 3], [4]]),
      tooLong: () => bert.forward([[1, 2, 3, 4, 5, 6, 7]]),
      badTypes: () =>
        bert.forward(ids, [
          [0, 1, 2],
          [0, 0, 0],
        ]),
      maskShape: () => bert.forward(ids, null, { data: [1, 1, 1], shape: [1, 3] }),
      maskValue: () =>
        bert.forward(ids, null, [
          [1, 1, 1],
          [1, 1, 5],
        ]),
    };
    const out: Record<string, Awaited<ReturnType<typeof tryBeforeGpu>>> = {};
    for (const [k, f] of Object.entries(cases)) out[k] = await tryBeforeGpu(w, f);
    bert.dispose();
    return out;
  },
} satisfies ScenarioTable;
