// `npm start`'s server (src/app/cli/start-server.ts) under attack: only its own page, with the run's secret, may replace a
// checkpoint, and only with a checkpoint of the model, seed and epoch being trained. Every refused write must leave the
// file on disk as it was. Then the same from a page of another local origin in the real browser (the no-cors
// fetch), and the start page itself (src/app/cli/start-page.ts) training a tiny model through the server: with the secret
// its checkpoints are written; with a wrong one the run fails instead of reporting success.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
// @ts-expect-error build.mjs is plain JavaScript
import { buildPages, PAGES } from '../build.mjs';
import { maxCheckpointBytes, serveStart, type ExpectedCheckpoint, type StartServer } from '../src/app/cli/start-server';
import type { StartPageOptions } from '../src/app/cli/start-page';
import { startRunExpression, type StartMessage } from '../src/app/cli/start-messages';
import { parseSafetensors, writeSafetensors, type F32Tensor } from '../src/engine/io/safetensors';
import { SECRET_HEADER } from '../src/app/node/server';
import { request, type RequestOptions } from './http';
import { openPage } from './page';

// The page and Node share one message union (src/app/cli/start-messages.ts): a field it does not have, or a wrong type, is
// an error of `npm test`'s type check.
export const typedMessages: StartMessage[] = [
  // @ts-expect-error 'bestEpochs' is not a field of 'seedDone'
  { kind: 'seedDone', seedIndex: 0, seed: 1, trainSeconds: 0, evalSeconds: 0, bestEpochs: 1 },
  // @ts-expect-error a 'failed' message's text is a string
  { kind: 'failed', message: 1 },
];

const SEED = 1111;
const EXPECTED: ExpectedCheckpoint = {
  seed: SEED,
  model: 'dar',
  tensors: [
    ['enc.weight', [4, 3]],
    ['enc.bias', [3]],
  ],
};

/** A checkpoint as the trainer writes it: parameters, AdamW moments, the format and training meta. */
function checkpoint(
  o: { tensors?: [string, number[]][]; model?: string; seed?: number; epoch?: number; format?: string } = {},
): Uint8Array {
  const tensors: [string, F32Tensor][] = [];
  for (const [name, shape] of o.tensors ?? EXPECTED.tensors) {
    const data = () => Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => i / 7);
    tensors.push(
      [name, { shape, data: data() }],
      [`optim.${name}.expAvg`, { shape, data: data() }],
      [`optim.${name}.expAvgSq`, { shape, data: data() }],
    );
  }
  const meta = {
    format: o.format ?? 'webgrad-train/1',
    model: o.model ?? 'dar',
    seed: o.seed ?? SEED,
    epoch: o.epoch ?? 2,
    modelConfig: {},
    options: {},
  };
  return writeSafetensors(tensors, { 'webgrad.format': 'webgrad-checkpoint/1', 'webgrad.meta': JSON.stringify(meta) });
}

let tmp: string;
let out: string;
let server: StartServer;
const best = () => path.join(out, `best-seed${SEED}.safetensors`);
const last = () => path.join(out, `last-seed${SEED}.safetensors`);
const modelFile = () => path.join(out, `model-seed${SEED}.safetensors`);
const ORIGINAL = new TextEncoder().encode('the run wrote this');

function resetFiles() {
  fs.writeFileSync(best(), ORIGINAL);
  fs.rmSync(last(), { force: true });
  fs.rmSync(modelFile(), { force: true });
}

function expectUnchanged() {
  expect(new Uint8Array(fs.readFileSync(best()))).toEqual(ORIGINAL);
  expect(fs.existsSync(last())).toBe(false);
  expect(fs.existsSync(modelFile())).toBe(false);
}

/** The model file beside the checkpoints: exactly the expected parameters, no optimizer state, and the run's meta. */
function expectModelFile(model: string, epoch: number, names: string[]) {
  const file = parseSafetensors(new Uint8Array(fs.readFileSync(modelFile())));
  expect(file.metadata['webgrad.format']).toBe('webgrad-model/1');
  const meta = JSON.parse(file.metadata['webgrad.meta']);
  expect([meta.format, meta.model, meta.seed, meta.epoch]).toEqual(['webgrad-model/1', model, SEED, epoch]);
  expect(meta.modelConfig).toBeTypeOf('object');
  expect([...file.tensors.keys()].sort()).toEqual([...names].sort());
}

const post = (target: string, opts: RequestOptions & { token?: string | null } = {}) =>
  request(server.url, target, {
    method: 'POST',
    body: opts.body ?? checkpoint(),
    headers: { ...(opts.token === null ? {} : { [SECRET_HEADER]: opts.token ?? server.secret }), ...opts.headers },
  });

const Q = `/checkpoint?seed=${SEED}&kinds=best,last&epoch=2`;

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'webgrad-start-'));
  out = path.join(tmp, 'out');
  fs.mkdirSync(out);
  await buildPages(path.join(tmp, 'www'), { start: PAGES.start });
  fs.writeFileSync(path.join(tmp, 'data.pkl'), 'the user data');
  server = await serveStart(path.join(tmp, 'www'), {
    data: path.join(tmp, 'data.pkl'),
    resume: new Map([[SEED, { from: path.join(tmp, 'data.pkl'), best: null }]]),
    checkpointPath: (kind, seed) => path.join(out, `${kind}-seed${seed}.safetensors`),
  });
  server.expectCheckpoint(EXPECTED);
});

afterAll(async () => {
  await server?.close();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

describe('npm start server: POST /checkpoint', () => {
  it('refuses a write without the secret, with a wrong one, a foreign Host or a foreign Origin (403), file unchanged', async () => {
    resetFiles();
    const port = new URL(server.url).port;
    const attempts: [string, Parameters<typeof post>[1]][] = [
      ['no secret', { token: null }],
      ['wrong secret', { token: 'a'.repeat(64) }],
      ['secret of the wrong length', { token: 'abc' }],
      ['foreign Host (DNS rebinding)', { headers: { Host: `attacker.example:${port}` } }],
      ['foreign Origin', { headers: { Origin: 'http://127.0.0.1:1' } }],
    ];
    for (const [what, o] of attempts) {
      const r = await post(Q, o);
      expect(r.status, what).toBe(403);
      expectUnchanged();
    }
  });

  it('refuses a body over the largest checkpoint of the expected model (413), declared or streamed, file unchanged', async () => {
    resetFiles();
    const max = maxCheckpointBytes(EXPECTED);
    expect(max).toBeLessThan(2 << 20);
    const declared = await post(Q, { body: 'none', headers: { 'Content-Length': 1 << 30 } });
    expect(declared.status).toBe(413);
    const streamed = await post(Q, { body: Array.from({ length: 40 }, () => new Uint8Array(64 << 10)) });
    expect(streamed.status).toBe(413);
    expectUnchanged();
    const unannounced = await post(`/checkpoint?seed=${SEED + 1}&kinds=best&epoch=2`, {
      body: checkpoint({ seed: SEED + 1 }),
    });
    expect(unannounced.status).toBe(413);
    expect(fs.existsSync(path.join(out, `best-seed${SEED + 1}.safetensors`))).toBe(false);
  });

  it('refuses what is not a checkpoint of this run: garbage, another model, other shapes, seed or epoch, bad query (400)', async () => {
    resetFiles();
    const bodies: [string, Uint8Array, string?][] = [
      ['66 bytes of garbage', new Uint8Array(66).fill(65)],
      [
        'a safetensors file that is no checkpoint',
        writeSafetensors({ 'enc.weight': { shape: [4, 3], data: new Float32Array(12) } }),
      ],
      ['another model kind', checkpoint({ model: 'latefusion' })],
      [
        'other parameter names',
        checkpoint({
          tensors: [
            ['head.weight', [4, 3]],
            ['enc.bias', [3]],
          ],
        }),
      ],
      [
        'other shapes',
        checkpoint({
          tensors: [
            ['enc.weight', [3, 4]],
            ['enc.bias', [3]],
          ],
        }),
      ],
      ['a parameter missing', checkpoint({ tensors: [['enc.weight', [4, 3]]] })],
      ['another seed in its meta', checkpoint({ seed: SEED + 5 })],
      ['another epoch than the query', checkpoint({ epoch: 3 })],
      ['not a training checkpoint', checkpoint({ format: 'something-else' })],
      ['an unknown kind', checkpoint(), `/checkpoint?seed=${SEED}&kinds=best,evil&epoch=2`],
      ['no epoch', checkpoint(), `/checkpoint?seed=${SEED}&kinds=best`],
    ];
    for (const [what, body, target] of bodies) {
      const r = await post(target ?? Q, { body });
      expect(r.status, `${what}: ${r.body}`).toBe(400);
      expectUnchanged();
    }
  });

  it("writes the run's own checkpoint (secret, right model, seed and epoch) to every kind named, atomically", async () => {
    resetFiles();
    const bytes = checkpoint();
    const r = await post(Q, { body: bytes, headers: { Origin: server.url.slice(0, -1) } });
    expect(r.status, r.body).toBe(200);
    expect(new Uint8Array(fs.readFileSync(best()))).toEqual(bytes);
    expect(new Uint8Array(fs.readFileSync(last()))).toEqual(bytes);
    expectModelFile(
      'dar',
      2,
      EXPECTED.tensors.map(([n]) => n),
    );
    expect(fs.statSync(modelFile()).size).toBeLessThan(bytes.length);
    expect(fs.readdirSync(out).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('writes the model file only with a best checkpoint: a last-only upload leaves it alone', async () => {
    resetFiles();
    const r = await post(`/checkpoint?seed=${SEED}&kinds=last&epoch=2`, { body: checkpoint() });
    expect(r.status, r.body).toBe(200);
    expect(fs.existsSync(last())).toBe(true);
    expect(fs.existsSync(modelFile())).toBe(false);
  });

  it('serves the data file and resume checkpoints only with the secret; never grants a CORS preflight', async () => {
    for (const target of ['/data', `/resume/${SEED}`]) {
      expect((await request(server.url, target)).status, target).toBe(403);
      const ok = await request(server.url, target, { headers: { [SECRET_HEADER]: server.secret } });
      expect(ok.status, target).toBe(200);
      expect(ok.body).toBe('the user data');
    }
    const pre = await request(server.url, '/checkpoint', {
      method: 'OPTIONS',
      headers: { Origin: 'http://evil.example', 'Access-Control-Request-Headers': SECRET_HEADER },
    });
    expect(pre.status).toBe(405);
    expect(pre.headers['access-control-allow-origin']).toBeUndefined();
    expect((await request(server.url, '/%')).status).toBe(400);
  });
});

describe('npm start server in the browser', () => {
  it('a page of another local origin cannot replace a checkpoint, with a no-cors fetch or with the secret header', async () => {
    resetFiles();
    const tp = await openPage(); // the test page: another port on 127.0.0.1, so another origin
    try {
      const attack = (withHeader: boolean) =>
        tp.page.evaluate(
          async (url: string, body: number[], header: string, secret: string, withHeader: boolean) => {
            const init: RequestInit = withHeader
              ? { method: 'POST', body: new Uint8Array(body), headers: { [header]: secret } }
              : { method: 'POST', body: new Uint8Array(body), mode: 'no-cors' };
            // The page cannot read the answer either way (no CORS, and its COEP blocks the opaque response).
            await fetch(url, init).catch(() => undefined);
          },
          `${server.url}checkpoint?seed=${SEED}&kinds=best,last&epoch=2`,
          [...checkpoint()],
          SECRET_HEADER,
          server.secret,
          withHeader,
        );
      await attack(false); // the attack: sent without a preflight, refused for want of the secret
      expectUnchanged();
      await attack(true); // even knowing the secret: the preflight a custom header needs is refused
      expectUnchanged();
    } finally {
      await tp.close();
    }
  });

  describe('the start page', () => {
    let browser: Browser;
    let page: Page;
    let settle: (m: { kind: string; message?: string }) => void = () => undefined;

    beforeAll(async () => {
      browser = await puppeteer.connect({ browserWSEndpoint: inject('wsEndpoint'), protocolTimeout: 600_000 });
      page = await browser.newPage();
      await page.exposeFunction('webgradReport', (m: StartMessage) => {
        if (m.kind === 'expect') server.expectCheckpoint(m.expected); // as src/app/cli/start.ts does
        if (m.kind === 'finished') settle({ kind: m.kind });
        if (m.kind === 'failed') settle(m);
      });
      await page.goto(`${server.url}start.html`);
      await page.waitForFunction('globalThis.webgradMain !== undefined');
    });

    afterAll(async () => {
      await page?.close();
      browser?.disconnect();
    });

    /** One seed of late fusion on a few samples of the tiny dataset, through the start page's main. */
    async function run(token: string): Promise<{ kind: string; message?: string }> {
      const done = new Promise<{ kind: string; message?: string }>((r) => (settle = r));
      const o: StartPageOptions = {
        token,
        dataset: 'tiny',
        model: 'latefusion',
        preset: 'small',
        ablation: 'full',
        textUnk: 'zero',
        textEncoder: 'features',
        bert: false,
        seeds: [SEED],
        epochs: 1,
        batchSize: 4,
        lr: 1e-3,
        weightDecay: 0,
        trainMissingRate: 0.3,
        halfComplete: false,
        missingField: 'fresh',
        trainSubset: 4,
        validSubset: 4,
        testSubset: 4,
        rates: [0],
        maskSeed: 1111,
        resume: [],
        resumeBest: [],
      };
      await page.evaluate(startRunExpression(o));
      return done;
    }

    it('fails the run when its checkpoint is refused (wrong secret), leaving the files as they were', async () => {
      resetFiles();
      const r = await run('f'.repeat(64));
      expect(r.kind).toBe('failed');
      expect(r.message).toMatch(/storing the checkpoint of seed 1111, epoch 1: HTTP 403/);
      expectUnchanged();
    });

    it('sends the secret and the model it trains: its checkpoints are written', async () => {
      resetFiles();
      expect(await run(server.secret)).toEqual({ kind: 'finished' });
      for (const f of [best(), last()]) {
        const meta = JSON.parse(parseSafetensors(new Uint8Array(fs.readFileSync(f))).metadata['webgrad.meta']);
        expect([meta.model, meta.seed, meta.epoch]).toEqual(['latefusion', SEED, 1]);
      }
      const params = [...parseSafetensors(new Uint8Array(fs.readFileSync(best()))).tensors.keys()].filter(
        (n) => !n.startsWith('optim'),
      );
      expectModelFile('latefusion', 1, params);
    });
  });
});
