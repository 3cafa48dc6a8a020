// Scenarios for the inference API (src/app/models/registry.ts, src/app/inference.ts): a model rebuilt from checkpoint bytes
// alone predicts what the original model predicts, missing modalities are zeros, and bad input is refused before any
// GPU work. The Node side (test/inference.test.ts) asserts on what these return.

import type * as wgType from '../../src/app/all';
import type { ScenarioTable } from './scenarios';
import type { SentimentModel } from '../../src/app/models/types';
import { disposeBatch, randomBatch } from './model-batches';
import { PARAMETER_SHAPES } from '../../src/app/models/shapes';

type W = typeof wgType;

/** The model of a kind with a tiny config: DAR's small preset on tiny dims, or the late-fusion baseline. */
function build(w: W, kind: string, seed: number) {
  const ds = w.syntheticMosi({ seed: 0, size: 'tiny' });
  const model =
    kind === 'dar'
      ? new w.DAR(w.darConfig('small', ds.dims, { seed, textUnk: 'learned' }))
      : kind === 'derl'
        ? new w.DERL(w.derlConfig('small', ds.dims, { seed }))
        : new w.LateFusion({ dims: ds.dims, seed });
  return { ds, model };
}

/** Features of test samples as the arrays an app would hand over. */
function arrays(w: W, kind: string, n: number) {
  const ds = w.syntheticMosi({ seed: 0, size: 'tiny' });
  const idx = Array.from({ length: n }, (_, i) => i);
  const b = ds.batch('test', idx);
  return { size: n, text: b.text, audio: b.audio, vision: b.vision, kind };
}

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

export const SCENARIOS = {
  /** Save (as the trainer does: parameters, optimizer state, meta), rebuild from the bytes, predict both ways. */
  async inferenceRoundTrip({ kind }: { kind: string }, w: W) {
    const liveBefore = w.runtime().stats().liveBuffers;
    const { model } = build(w, kind, 7);
    const x = arrays(w, kind, 5);
    // One optimizer step so the checkpoint carries optimizer state, which loadModel must skip.
    const opt = new w.AdamW(model.mainParameters(), { lr: 1e-3 });
    w.tidy(() => {
      const y = model.predict(w.featureTensors(model, x));
      const loss = w.mean(w.mul(y, y));
      if (kind === 'latefusion') loss.backward(); // DAR's predict runs without a tape; the LF model gets a real step
    });
    if (kind === 'latefusion') opt.step();
    model.zeroGrad();
    // As the trainer saves: DAR's checkpoint also holds its CLUB estimators' optimizer (optim@club.*), after one step.
    const sm: SentimentModel = model;
    if (sm.auxiliaryStep) {
      const batch = randomBatch(w, model.config.dims, 3, 11);
      w.tidy(() => {
        sm.auxiliaryStep!(batch);
      });
      disposeBatch(batch);
    }
    const auxiliary = Object.keys(sm.auxiliaryOptimizers?.() ?? {});
    const bytes = await w.saveCheckpoint(
      model,
      opt,
      { model: model.kind, modelConfig: model.config, note: 'test' },
      { auxiliary: sm.auxiliaryOptimizers?.() },
    );
    const direct = await w.predictSentiment(model, x);
    const { model: loaded, meta } = w.loadModel(bytes);
    const viaLoad = await w.predictSentiment(loaded, x);
    // A whole modality missing: null gives the same as explicit zeros.
    const noAudio = await w.predictSentiment(loaded, { ...x, audio: null });
    const zeroAudio = await w.predictSentiment(loaded, { ...x, audio: new Float32Array(x.audio.length) });
    const sameKind = loaded.kind === model.kind;
    // The model file: weights + config only, from the live model (exportModel) and from the checkpoint's bytes (what
    // npm start writes as model-seed<seed>.safetensors); both rebuild the same model.
    const exported = await w.exportModel(model, { seed: 7 });
    const derived = w.modelFileFromCheckpoint(bytes);
    const modelFiles = [];
    for (const file of [exported, derived]) {
      const { model: m, meta: fm } = w.loadModel(file);
      modelFiles.push({
        bytes: file.length,
        format: fm.format,
        kind: fm.model,
        diff: maxAbsDiff(direct, await w.predictSentiment(m, x)),
        names: [...w.parseSafetensors(file).tensors.keys()].sort(),
      });
      m.dispose();
    }
    const paramNames = model
      .namedParameters()
      .map(([n]: [string, unknown]) => n)
      .sort();
    opt.dispose();
    model.dispose();
    loaded.dispose();
    await w.runtime().sync();
    return {
      n: direct.length,
      direct: Array.from(direct),
      diff: maxAbsDiff(direct, viaLoad),
      sameKind,
      note: meta.note,
      missingDiff: maxAbsDiff(noAudio, zeroAudio),
      missingChanges: maxAbsDiff(noAudio, direct),
      finite: [...direct, ...noAudio].every(Number.isFinite),
      auxiliary,
      checkpointBytes: bytes.length,
      modelFiles,
      paramNames,
      leaked: w.runtime().stats().liveBuffers - liveBefore,
    };
  },

  /**
   * A checkpoint written before a config field existed (the field deleted from its modelConfig) still loads, and
   * predicts what the model predicts; returns the rebuilt config's values of the fields and the largest difference.
   */
  async inferenceOlderCheckpoint(
    { kind, savedAs, fields }: { kind: string; savedAs?: string; fields: string[] },
    w: W,
  ) {
    // A DAR from before alignNorm had no LayerNorm in its alignment.
    const model =
      kind === 'dar'
        ? new w.DAR(
            w.darConfig('small', w.syntheticMosi({ seed: 0, size: 'tiny' }).dims, { seed: 5, alignNorm: false }),
          )
        : build(w, kind, 5).model;
    const x = arrays(w, kind, 4);
    const older: Record<string, unknown> = { ...(model.config as unknown as Record<string, unknown>) };
    for (const f of fields) delete older[f];
    const bytes = await w.saveCheckpoint(model, null, { model: savedAs ?? model.kind, modelConfig: older });
    const direct = await w.predictSentiment(model, x);
    const { model: loaded } = w.loadModel(bytes);
    const viaLoad = await w.predictSentiment(loaded, x);
    const cfg = loaded.config as unknown as Record<string, unknown>;
    const out = {
      values: Object.fromEntries(fields.map((f) => [f, cfg[f]])),
      diff: maxAbsDiff(direct, viaLoad),
      loadedKind: loaded.kind,
    };
    model.dispose();
    loaded.dispose();
    return out;
  },

  /**
   * One weight (and, separately, one optimizer-state value) set to NaN / Infinity in a saved checkpoint: the default
   * load refuses it and leaves the model as it was; allowNonFinite loads it.
   */
  async inferenceNonFinite({ index }: { index: number }, w: W) {
    const { model } = build(w, 'latefusion', 3);
    const x = arrays(w, 'latefusion', 2);
    const opt = new w.AdamW(model.mainParameters(), { lr: 1e-3 });
    w.tidy(() => {
      w.mean(w.mul(model.predict(w.featureTensors(model, x)), model.predict(w.featureTensors(model, x)))).backward();
    });
    opt.step();
    const good = await w.saveCheckpoint(model, opt, { model: model.kind, modelConfig: model.config });
    const before = await w.predictSentiment(model, x);
    // The same file with one value replaced.
    const poisoned = (name: string, value: number) => {
      const f = w.readSafetensors(good);
      const t = f.tensors.get(name)!;
      t.data[index % t.data.length] = value;
      return w.writeSafetensors(
        [...f.tensors].map(([k, v]) => [k, { shape: v.shape, data: v.data }] as const),
        f.metadata,
      );
    };
    const weight = model.namedParameters()[0][0];
    const caught = (f: () => unknown) => {
      try {
        f();
        return null;
      } catch (e) {
        const err = e as { name: string; code?: string; message: string };
        return { name: err.name, code: err.code, message: err.message };
      }
    };
    const nanWeight = poisoned(weight, NaN);
    const out = {
      weight,
      index: index % model.namedParameters()[0][1].size,
      loadModel: caught(() => w.loadModel(nanWeight).model.dispose()),
      loadCheckpoint: caught(() => w.loadCheckpoint(nanWeight, model, opt)),
      optimizerState: caught(() => w.loadCheckpoint(poisoned(`optim.${weight}.expAvgSq`, Infinity), model, opt)),
      untouched: false,
      allowedNaN: false,
    };
    out.untouched = (await w.predictSentiment(model, x)).every((v, i) => v === before[i]);
    const { model: allowed } = w.loadModel(nanWeight, { allowNonFinite: true });
    out.allowedNaN = Number.isNaN((await allowed.namedParameters()[0][1].toArray())[out.index]);
    allowed.dispose();
    opt.dispose();
    model.dispose();
    return out;
  },

  /**
   * Models of each kind in several configs: the parameter names and shapes computed from the config alone (what
   * loadModel compares with a file before building) against those of the model built; returns every difference.
   */
  async inferenceShapes(_args, w: W) {
    const dims = w.syntheticMosi({ seed: 0, size: 'tiny' }).dims;
    const odd = { text: { len: 6, dim: 10 }, audio: { len: 5, dim: 3 }, vision: { len: 7, dim: 4 } };
    const bertSizes = { vocabSize: 11, hidden: 6, layers: 2, heads: 2, intermediate: 7, maxPosition: 9, typeVocab: 2 };
    const models: SentimentModel[] = [
      new w.DAR(w.darConfig('small', odd, { seed: 1, textUnk: 'learned' })),
      new w.DAR(
        w.darConfig('small', odd, {
          seed: 1,
          alignNorm: false,
          encoder: { depth: 2, heads: 3, dimHead: 5 },
          fusionCross: { depth: 0 },
          mlpHidden: 7,
        }),
      ),
      new w.DERL(w.derlConfig('tiny', odd, { seed: 2, textUnk: 'learned' })),
      new w.DERL(
        w.derlConfig('tiny', odd, {
          seed: 2,
          weights: { aux: 0, reconInput: 0 },
          experts: { private: 3, shared: 5, hidden: 6 },
        }),
      ),
      new w.DERL(w.derlConfig('tiny', odd, { seed: 2, weights: { reconFeat: 0 }, embed: { depth: 0 } })),
      // BERT text encoders (src/app/models/text-encoder.ts): bert.* and the text alignment reading BERT's width.
      new w.DAR(w.darConfig('small', odd, { seed: 1, textEncoder: { kind: 'bert', bert: bertSizes, frozen: false } })),
      new w.DERL(w.derlConfig('tiny', odd, { seed: 2, textEncoder: { kind: 'bert', bert: bertSizes, frozen: true } })),
      new w.LateFusion({ dims, seed: 3 }),
      new w.LateFusion({ dims: odd, seed: 3, t: 5, d: 6, hidden: 7 }),
    ];
    const diffs: string[] = [];
    let compared = 0;
    for (const m of models) {
      const want = PARAMETER_SHAPES.get(m.kind)!(JSON.parse(JSON.stringify(m.config)));
      const have = new Map(m.namedParameters().map(([n, p]) => [n, [...p.shape]] as const));
      for (const [n, s] of have)
        if (JSON.stringify(want.get(n)) !== JSON.stringify(s))
          diffs.push(`${m.kind} ${n}: model [${s}], computed [${want.get(n) ?? 'none'}]`);
      for (const n of want.keys()) if (!have.has(n)) diffs.push(`${m.kind} ${n}: computed but not in the model`);
      compared += have.size;
      m.dispose();
    }
    return { diffs, compared };
  },

  /**
   * Crafted configs in otherwise good checkpoints: each load's error, and what it allocated or dispatched; then a
   * good checkpoint still loads and predicts.
   */
  async inferenceCraftedConfig(_args, w: W) {
    const { model } = build(w, 'dar', 4);
    const x = arrays(w, 'dar', 2);
    const good = await w.saveCheckpoint(model, null, { model: model.kind, modelConfig: model.config });
    const before = await w.predictSentiment(model, x);
    const cfg = model.config as unknown as Record<string, Record<string, unknown>>;
    const crafted: Record<string, unknown> = {
      hugeHeads: { ...cfg, encoder: { ...cfg.encoder, heads: 1e9 } },
      otherHeads: { ...cfg, encoder: { ...cfg.encoder, heads: 4 } },
      fractionalD: { ...cfg, d: 32.5 },
      stringDepth: { ...cfg, recon: { ...cfg.recon, depth: '1' } },
      noDims: { ...cfg, dims: null },
      badTau: { ...cfg, tau: -1 },
    };
    const out: Record<
      string,
      { name: string; message: string; dispatches: number; liveBuffers: number; allocatedBytes: number }
    > = {};
    for (const [k, modelConfig] of Object.entries(crafted)) {
      const bytes = w.writeSafetensors(
        [...w.readSafetensors(good).tensors].map(([n, t]) => [n, { shape: t.shape, data: t.data }] as const),
        {
          'webgrad.format': 'webgrad-checkpoint/1',
          'webgrad.meta': JSON.stringify({ model: model.kind, modelConfig }),
        },
      );
      await w.runtime().sync();
      const s0 = w.runtime().stats();
      let name = 'none';
      let message = '';
      try {
        w.loadModel(bytes).model.dispose();
      } catch (e) {
        name = (e as Error).name;
        message = (e as Error).message;
      }
      const s1 = w.runtime().stats();
      out[k] = {
        name,
        message,
        dispatches: s1.dispatches - s0.dispatches,
        liveBuffers: s1.liveBuffers - s0.liveBuffers,
        allocatedBytes: s1.allocatedBytes - s0.allocatedBytes,
      };
    }
    const { model: loaded } = w.loadModel(good);
    const after = await w.predictSentiment(loaded, x);
    loaded.dispose();
    model.dispose();
    return { out, sameAfter: after.every((v, i) => v === before[i]) };
  },

  /**
   * predictSentiment on token ids for a model with a BERT text encoder (npm start's default): through a checkpoint, the
   * same as the model's own predict on the same ids; the text absent the LNLN way (every real token [UNK]) changes the
   * prediction; text features for it, no ids, ids for a feature model, or an id outside the vocabulary are refused
   * before any GPU work.
   */
  async inferenceTokenIds(_args, w: W) {
    const ds = w.syntheticMosi({ seed: 0, size: 'tiny' });
    const bert = { ...w.TINY_BERT, vocabSize: w.SYNTHETIC_VOCAB.size };
    const textEncoder = { kind: 'bert' as const, bert, frozen: false };
    const model = new w.DAR(w.darConfig('small', ds.dims, { seed: 3, textEncoder }));
    const n = 3;
    const b = ds.batch('test', [0, 1, 2]);
    const x = { size: n, audio: b.audio, vision: b.vision, textBert: b.textBert! };
    const { model: loaded } = w.loadModel(await w.exportModel(model, { seed: 3 }));
    const viaIds = await w.predictSentiment(loaded, x);
    const own = w.noGrad(() =>
      w.tidy(() => {
        const shape = (m: 'audio' | 'vision') => [n, ds.dims[m].len, ds.dims[m].dim];
        const inputs = {
          audio: w.tensor(b.audio, shape('audio')),
          vision: w.tensor(b.vision, shape('vision')),
          textBert: b.textBert!,
        } as unknown as Parameters<typeof model.predict>[0];
        return model.predict(inputs).keep();
      }),
    );
    const direct = await own.toArray();
    own.dispose();
    // The whole text absent, as the evaluation's "L absent" writes it: every real token → [UNK], mask unchanged.
    const T = ds.dims.text.len;
    const absent = b.textBert!.slice();
    for (let i = 0; i < n; i++)
      for (let j = 0; j < T; j++) if (absent[i * 3 * T + T + j] === 1) absent[i * 3 * T + j] = w.UNK_TOKEN_ID;
    const noText = await w.predictSentiment(loaded, { ...x, textBert: absent });
    const badId = b.textBert!.slice();
    badId[3 * T + 4] = 120; // sample 1, position 4: one past the vocabulary
    const features = build(w, 'dar', 4).model;
    const cases: Record<string, () => unknown> = {
      featuresForBert: () => w.predictSentiment(loaded, { ...x, text: b.text }),
      noIds: () => w.predictSentiment(loaded, { size: n, audio: b.audio, vision: b.vision }),
      shortIds: () => w.predictSentiment(loaded, { ...x, textBert: b.textBert!.subarray(1) }),
      idOutside: () => w.predictSentiment(loaded, { ...x, textBert: badId }),
      idsForFeatures: () => w.predictSentiment(features, { ...x, text: b.text }),
    };
    const errors: Record<string, { name: string; message: string; dispatches: number }> = {};
    for (const [k, f] of Object.entries(cases)) {
      await w.runtime().sync();
      const before = w.runtime().stats().dispatches;
      try {
        await f();
        errors[k] = { name: 'none', message: '', dispatches: 0 };
      } catch (e) {
        const dispatches = w.runtime().stats().dispatches - before;
        errors[k] = { name: (e as Error).name, message: (e as Error).message, dispatches };
      }
    }
    for (const m of [model, loaded, features]) m.dispose();
    return {
      viaIds: Array.from(viaIds),
      diff: maxAbsDiff(viaIds, direct),
      textMatters: maxAbsDiff(viaIds, noText),
      finite: [...viaIds, ...noText].every(Number.isFinite),
      errors,
    };
  },

  /** Each bad input: the error's name and message, and how many dispatches it caused. */
  async inferenceErrors(_args, w: W) {
    const { model } = build(w, 'latefusion', 3);
    const x = arrays(w, 'latefusion', 2);
    const nan = Float32Array.from(x.vision);
    nan[20 * 3 + 7] = NaN; // sample 0, step 3, feature 7 (vision is 20 wide)
    const cases: Record<string, () => unknown> = {
      shortText: () => w.predictSentiment(model, { ...x, text: x.text.subarray(1) }),
      badSize: () => w.predictSentiment(model, { ...x, size: 0 }),
      nonFinite: () => w.predictSentiment(model, { ...x, vision: nan }),
      notFloat32: () => w.predictSentiment(model, { ...x, audio: Array.from(x.audio) as unknown as Float32Array }),
      nullBatch: () => w.predictSentiment(model, null as never),
      hugeAbsent: () => w.predictSentiment(model, { size: 1e7 }),
      noMeta: async () => w.loadModel(await w.saveCheckpoint(model, null, {})),
      unknownKind: async () =>
        w.loadModel(await w.saveCheckpoint(model, null, { model: 'nope', modelConfig: model.config })),
      wrongWeights: async () => {
        const bytes = await w.saveCheckpoint(model, null, {
          model: 'latefusion',
          modelConfig: { ...model.config, d: 16 },
        });
        return w.loadModel(bytes);
      },
    };
    const out: Record<string, { name: string; message: string; dispatches: number }> = {};
    for (const [k, f] of Object.entries(cases)) {
      await w.runtime().sync();
      const before = w.runtime().stats().dispatches;
      try {
        await f();
        out[k] = { name: 'none', message: '', dispatches: 0 };
      } catch (e) {
        out[k] = {
          name: (e as Error).name,
          message: (e as Error).message,
          dispatches: w.runtime().stats().dispatches - before,
        };
      }
    }
    model.dispose();
    return out;
  },
} satisfies ScenarioTable;
