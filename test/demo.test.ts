// The demo page (`npm run demo`) in the real browser: built into a temp dir, served by the demo server
// (src/app/node/demo.ts), opened in the test run's Chromium. Bad files must give messages on the page, not exceptions; a
// short DAR training on the tiny dataset must draw its charts and tables, pause and resume, probe, profile, and
// round-trip through a downloaded safetensors file. A screenshot goes to test/artifacts/demo.png.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import puppeteer, { type Browser, type ElementHandle, type Page } from 'puppeteer';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
// @ts-expect-error build.mjs is plain JavaScript
import { buildPages, PAGES } from '../build.mjs';
import { serveDemo, type DemoServer } from '../src/app/node/demo';

const here = path.dirname(fileURLToPath(import.meta.url));
const fixture = (name: string) => path.join(here, 'fixtures', name);
const ARTIFACTS = path.join(here, 'artifacts');
/** About 40 s for the whole file on a quiet 2-core machine; generous limits for a machine shared with other test runs. */
const SLOW = 360_000;

let tmp: string;
let server: DemoServer;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

const text = (sel: string) => page.$eval(sel, (e) => (e as HTMLElement).innerText);
const cls = (sel: string) => page.$eval(sel, (e) => e.className);

async function upload(sel: string, file: string) {
  const input = (await page.$(sel)) as ElementHandle<HTMLInputElement>;
  await input.uploadFile(file);
}

/** Waits until the element's text matches `re` (and returns it). */
async function waitText(sel: string, re: RegExp, timeout = 30_000): Promise<string> {
  await page.waitForFunction(
    (s: string, src: string, flags: string) =>
      new RegExp(src, flags).test((document.querySelector(s) as HTMLElement | null)?.innerText ?? ''),
    { timeout, polling: 100 },
    sel,
    re.source,
    re.flags,
  );
  return text(sel);
}

/**
 * The data status once a file has been read: it names the file while reading it too ("reading x.pkl (0.0 MB) in this
 * tab…"), so waiting for the name alone can return that interim text on a loaded machine.
 */
const dataStatus = (name: RegExp) => waitText('#data-status', new RegExp(`^(?!reading )[\\s\\S]*${name.source}`));

const waitState = (states: string[], timeout = 240_000) =>
  page.waitForFunction(
    (s: string[]) => s.includes(document.body.dataset.state ?? ''),
    { timeout, polling: 200 },
    states,
  );

/**
 * Pixels of a screenshot of element `sel` (PNG, decoded in the page): how many differ from the view's background, how
 * many are coloured (a point, not grey), and how many differ from an earlier screenshot `other` (base64 PNG).
 */
async function shot(
  sel: string,
  other?: string,
): Promise<{ png: string; drawn: number; coloured: number; changed: number; total: number }> {
  const png = (await (await page.$(sel))!.screenshot({ encoding: 'base64' })) as string;
  const stats = await page.evaluate(
    async (a: string, b: string | null) => {
      const decode = async (b64: string) => {
        const bmp = await createImageBitmap(await (await fetch(`data:image/png;base64,${b64}`)).blob());
        const c = new OffscreenCanvas(bmp.width, bmp.height).getContext('2d')!;
        c.drawImage(bmp, 0, 0);
        return c.getImageData(0, 0, bmp.width, bmp.height).data;
      };
      const p = await decode(a);
      const q = b ? await decode(b) : null;
      let drawn = 0;
      let coloured = 0;
      let changed = 0;
      for (let i = 0; i < p.length; i += 4) {
        const [r, g, bl] = [p[i], p[i + 1], p[i + 2]];
        // The background is (0.97, 0.97, 0.96) · 255 ≈ (247, 247, 245); the 1-px CSS border is grey too.
        if (Math.abs(r - 247) + Math.abs(g - 247) + Math.abs(bl - 245) > 24) drawn++;
        if (Math.max(r, g, bl) - Math.min(r, g, bl) > 40) coloured++;
        if (q && Math.abs(r - q[i]) + Math.abs(g - q[i + 1]) + Math.abs(bl - q[i + 2]) > 24) changed++;
      }
      return { drawn, coloured, changed, total: p.length / 4 };
    },
    png,
    other ?? null,
  );
  return { png, ...stats };
}

/** Waits until the 3D view has drawn rate `rate`; a timeout says what the view's status line says instead. */
async function spacesDrawn(rate: string) {
  try {
    await page.waitForFunction(
      (r: string) => document.getElementById('spaces-status')?.dataset.rate === r,
      { timeout: 60_000, polling: 100 },
      rate,
    );
  } catch (e) {
    const [status, lost] = [await text('#spaces-status'), await text('#device-lost-text')];
    throw new Error(`3D view not drawn at rate ${rate}: status "${status}", device "${lost}" (${String(e)})`);
  }
}

/** Predictions shown in the probe table (the column at the slider's rate). */
const probePreds = () =>
  page.$$eval('#probe-table td[data-pred]', (tds) => tds.map((td) => Number((td as HTMLElement).dataset.pred)));

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'webgrad-demo-'));
  await buildPages(path.join(tmp, 'www'), { demo: PAGES.demo });
  server = await serveDemo(path.join(tmp, 'www'), { port: 0 });
  browser = await puppeteer.connect({ browserWSEndpoint: inject('wsEndpoint'), protocolTimeout: 600_000 });
  page = await browser.newPage();
  await page.setViewport({ width: 1300, height: 900 });
  page.on('pageerror', (e) => pageErrors.push(String((e as Error).message ?? e)));
  page.on('console', (m) => {
    if (m.type() === 'error') pageErrors.push(m.text());
  });
  await page.goto(server.url);
  await page.waitForFunction('document.body.dataset.ready === "1"', { timeout: 60_000 });
});

afterAll(async () => {
  await page?.close();
  browser?.disconnect();
  await server?.close();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

describe('demo page', () => {
  it('is served at / by the demo server and shows the WebGPU adapter and its limits', async () => {
    expect(await page.title()).toMatch(/webgrad demo/);
    expect(await cls('#adapter')).not.toMatch(/error/);
    expect(await text('#adapter')).toMatch(/\S+ \/ \S+/);
    // (Inside a closed <details>: textContent, since nothing there is rendered.)
    const limits = await page.$$eval('#limits-table tbody tr', (rows) =>
      rows.map((r) =>
        Array.from(r.children)
          .map((c) => c.textContent)
          .join('|'),
      ),
    );
    expect(limits.some((r) => /^maxStorageBufferBindingSize\|[\d,]+$/.test(r))).toBe(true);
    // The default dataset is loaded and described.
    expect(await text('#data-status')).toMatch(/synthetic-mosi-tiny: train\/valid\/test 48\/16\/32/);
  });

  it('says clearly what is wrong with a bad data or model file, without page errors', async () => {
    const junk = path.join(tmp, 'notes.txt');
    fs.writeFileSync(junk, 'these are notes, not a pickle\n');
    await upload('#pickle', junk);
    expect(await dataStatus(/notes\.txt/)).toMatch(/notes\.txt is not a pickle file/);
    expect(await cls('#data-status')).toMatch(/error/);

    await upload('#pickle', fixture('mmsa_foreign.pkl'));
    expect(await dataStatus(/mmsa_foreign/)).toMatch(/mmsa_foreign\.pkl cannot be used: .*not an MMSA feature file/);
    expect(await cls('#data-status')).toMatch(/error/);

    await upload('#pickle', fixture('mmsa_badshape.pkl'));
    expect(await dataStatus(/mmsa_badshape/)).toMatch(/valid\['audio'\] has shape \(2, 45\), expected 3 dimensions/);

    const truncated = path.join(tmp, 'truncated.pkl');
    fs.writeFileSync(truncated, fs.readFileSync(fixture('mmsa_tiny.pkl')).subarray(0, 300));
    await upload('#pickle', truncated);
    expect(await dataStatus(/truncated\.pkl/)).toMatch(/truncated\.pkl cannot be (used|read)/);
    expect(await cls('#data-status')).toMatch(/error/);

    // Training without a usable dataset is refused with a message.
    await page.click('#train');
    await waitState(['error'], 10_000);
    expect(await text('#train-status')).toMatch(/load a dataset first/);

    // A good pickle loads.
    await upload('#pickle', fixture('mmsa_tiny.pkl'));
    expect(await dataStatus(/mmsa_tiny/)).toMatch(
      /mmsa_tiny\.pkl \(mmsa\): train\/valid\/test 4\/\d+\/\d+ samples; text \d+×\d+/,
    );
    expect(await cls('#data-status')).not.toMatch(/error/);

    // A file that is not a model.
    await upload('#load-model', junk);
    expect(await waitText('#model-status', /notes\.txt/)).toMatch(/notes\.txt is not a safetensors model file/);
    expect(await cls('#model-status')).toMatch(/error/);

    expect(pageErrors).toEqual([]);
  });

  it(
    'trains DAR on tiny data (pausing and resuming), draws the curves and tables, probes, profiles, saves and reloads',
    async () => {
      await page.select('#dataset', 'tiny');
      await waitText('#data-status', /synthetic-mosi-tiny/);
      await page.select('#model', 'dar');
      const set = (sel: string, v: string) => page.$eval(sel, (e, v) => ((e as HTMLInputElement).value = v), v);
      await set('#epochs', '1');
      await set('#batch', '16');
      await set('#rates', '0, 0.5, 0.9');
      await set('#test-subset', '');

      // Every text #train-status shows, so the test sees the short-lived "compiling kernels n/m".
      await page.evaluate(() => {
        const el = document.getElementById('train-status')!;
        const seen: string[] = ((window as unknown as { statuses: string[] }).statuses = []);
        new MutationObserver(() => seen.push(el.textContent ?? '')).observe(el, {
          childList: true,
          characterData: true,
          subtree: true,
        });
      });
      await page.click('#train');
      // Pause after the first step; the step counter must not move while paused.
      await page.waitForFunction('Number(document.getElementById("progress").dataset.step) >= 1', {
        timeout: 180_000,
        polling: 50,
      });
      await page.click('#pause');
      // A pause takes effect at the next step boundary; the page says when training actually holds.
      await page.waitForFunction('document.body.dataset.held === "1"', { timeout: 60_000 });
      const stepAtPause = await page.$eval('#progress', (e) => Number((e as HTMLElement).dataset.step));
      await new Promise((r) => setTimeout(r, 1500));
      expect(await page.$eval('#progress', (e) => Number((e as HTMLElement).dataset.step))).toBe(stepAtPause);
      expect(await text('#train-status')).toMatch(new RegExp(`^paused after step ${stepAtPause}`));
      // The page stays responsive while paused (and training): a script round-trip is prompt.
      const t0 = Date.now();
      await page.evaluate('1');
      expect(Date.now() - t0).toBeLessThan(5000);
      await page.click('#resume');
      await waitState(['done', 'error', 'stopped']);
      expect(await page.evaluate('document.body.dataset.state')).toBe('done');
      // Durations read "12 s" or, on a loaded machine, "1 min 06 s" (fmtSeconds).
      const took = String.raw`(\d+ min )?\d+ s`;
      expect(await text('#train-status')).toMatch(
        new RegExp(`^done: 1 epoch in ${took} \\(best epoch 1\\), evaluated in ${took}$`),
      );
      // Before the first step, the page counted the kernels it compiled.
      const statuses = (await page.evaluate('window.statuses')) as string[];
      const compiling = statuses
        .map((t) => /^compiling kernels (\d+)\/(\d+) for the first training step/.exec(t))
        .filter((m) => m !== null);
      expect(compiling.length, statuses.join('\n')).toBeGreaterThan(0);
      const kernels = Number(compiling[0]![2]);
      expect(kernels).toBeGreaterThan(10);
      expect(compiling.at(-1)![1]).toBe(String(kernels));

      // Live loss charts: one per term (total first), each with the 3 steps of the epoch.
      const loss = await page.$$eval('#loss-charts svg', (svgs) =>
        svgs.map((s) => ({
          chart: s.getAttribute('data-chart'),
          points: Number(s.querySelector('path.series')?.getAttribute('data-points')),
        })),
      );
      expect(loss.length).toBeGreaterThanOrEqual(4);
      expect(loss[0].chart).toBe('live-total');
      for (const l of loss) expect(l.points).toBe(3);

      // Robustness curves: Acc-2, Acc-7 and MAE at the 3 rates.
      const rob = await page.$$eval('#robustness svg', (svgs) =>
        svgs.map((s) => ({
          chart: s.getAttribute('data-chart'),
          points: Array.from(s.querySelectorAll('path.series')).map((p) => Number(p.getAttribute('data-points'))),
        })),
      );
      expect(rob.map((r) => r.chart)).toEqual(['robustness-acc2', 'robustness-acc7', 'robustness-mae']);
      for (const r of rob) expect(r.points[0]).toBe(3);

      // Table 1's row and the per-rate table: numbers in every cell; Table 1 is the per-rate table's average row.
      const t1 = await page.$$eval('#table1 tbody tr:first-child td', (tds) =>
        tds.map((t) => (t as HTMLElement).innerText),
      );
      expect(t1.length).toBe(8);
      for (const c of t1.slice(0, 7)) expect(c).toMatch(/^\d+\.\d{2,3}$/);
      const perRate = await page.$$eval('#per-rate tbody tr', (trs) =>
        trs.map((tr) => Array.from(tr.children).map((c) => (c as HTMLElement).innerText)),
      );
      expect(perRate.map((r) => r[0])).toEqual(['0.0', '0.5', '0.9', 'avg']);
      expect(perRate[3].slice(1)).toEqual(t1);

      // Probe: 6 test samples; predictions change when most of every modality goes missing.
      expect((await probePreds()).length).toBe(6);
      const at0 = await probePreds();
      // The decoupled spaces in 3D, at rate 0: both views drawn (points, in colour), and not the same picture.
      await spacesDrawn('0');
      expect(await text('#spaces-status')).toMatch(/^32 test samples × 3 modalities/);
      const com0 = await shot('#space-common');
      const spec0 = await shot('#space-specific', com0.png);
      for (const [name, v] of [
        ['common', com0],
        ['specific', spec0],
      ] as const) {
        expect(v.drawn / v.total, `${name} view: share of pixels drawn`).toBeGreaterThan(0.005);
        expect(v.coloured / v.total, `${name} view: share of coloured pixels`).toBeGreaterThan(0.003);
      }
      expect(
        spec0.changed / spec0.total,
        'pixels where the specific view differs from the common view',
      ).toBeGreaterThan(0.005);
      await page.$eval('#rate', (e) => {
        (e as HTMLInputElement).value = '0.9';
        e.dispatchEvent(new Event('input', { bubbles: true }));
      });
      await page.waitForFunction('document.getElementById("probe").dataset.rate === "0.9"', { timeout: 30_000 });
      const at9 = await probePreds();
      // Dropping inputs moves the points: the common view at 0.9 is not the picture at 0.
      await page.waitForFunction('document.getElementById("spaces-status").dataset.rate === "0.9"', {
        timeout: 60_000,
      });
      const com9 = await shot('#space-common', com0.png);
      expect(com9.drawn / com9.total).toBeGreaterThan(0.005);
      expect(com9.changed / com9.total, 'pixels of the common view that moved from rate 0 to 0.9').toBeGreaterThan(
        0.003,
      );
      // Colouring by sentiment redraws the same points in other colours.
      await page.select('#space-colour', 'sentiment');
      await waitText('#space-legend', /^colour: sentiment label/);
      expect((await shot('#space-common', com9.png)).changed).toBeGreaterThan(0);
      await page.select('#space-colour', 'modality');
      await waitText('#space-legend', /^colour: modality/);
      fs.mkdirSync(ARTIFACTS, { recursive: true });
      await (await page.$('#spaces'))!.screenshot({ path: path.join(ARTIFACTS, 'demo-spaces.png') });
      expect(at9.length).toBe(6);
      expect(at9.some((v, i) => Math.abs(v - at0[i]) > 1e-6)).toBe(true);

      // Profile of one step: many kernels, matmuls among them, dispatch counts and shares that add up.
      await waitText('#profile-status', /kernels$/, 60_000);
      const prof = await page.$$eval('#profile-table tbody tr', (trs) =>
        trs.map((tr) => Array.from(tr.children).map((c) => (c as HTMLElement).innerText)),
      );
      expect(prof.length).toBeGreaterThan(5);
      expect(prof.some((r) => /matmul/.test(r[0]))).toBe(true);
      for (const r of prof) expect(Number(r[1])).toBeGreaterThan(0);
      const caption = await text('#profile-table caption');
      const total = Number(/(\d+) dispatches/.exec(caption)![1]);
      expect(prof.reduce((s, r) => s + Number(r[1]), 0)).toBeLessThanOrEqual(total);

      // Download the model, load it back: the same predictions.
      const dl = path.join(tmp, 'downloads');
      fs.mkdirSync(dl);
      const cdp = await browser.target().createCDPSession();
      await cdp.send('Browser.setDownloadBehavior', { behavior: 'allow', downloadPath: dl });
      await page.click('#download-model');
      const deadline = Date.now() + 30_000;
      let file: string | undefined;
      while (!file && Date.now() < deadline) {
        file = fs.readdirSync(dl).find((f) => f.endsWith('.safetensors'));
        if (!file) await new Promise((r) => setTimeout(r, 100));
      }
      expect(file).toBe('dar-seed1111.safetensors');
      // The HTML report of this run, as the page offers it.
      await page.click('#download-report');
      const reportFile = path.join(dl, 'report.html');
      while (!fs.existsSync(reportFile) && Date.now() < deadline + 30_000) await new Promise((r) => setTimeout(r, 100));
      await cdp.send('Browser.setDownloadBehavior', { behavior: 'default' });
      await cdp.detach();
      const report = fs.readFileSync(reportFile, 'utf8');
      expect(report).toContain('<table id="table1">');
      expect(report).toContain(`<td class="num">${t1[6]}</td>`);
      expect((report.match(/data-chart="robustness-/g) ?? []).length).toBe(3);
      expect(report).toContain('data-chart="loss-total"');
      await upload('#load-model', path.join(dl, file!));
      await waitText('#model-status', /loaded/);
      await page.waitForFunction('document.body.dataset.state === "done"', { timeout: 30_000 });
      expect(await probePreds()).toEqual(at9);
      // Evaluating the reloaded model gives the trained model's tables again.
      await page.click('#evaluate');
      await waitState(['done', 'error']);
      expect(await text('#eval-status')).toMatch(/^evaluated DAR \(small\) on 32 test samples/);
      expect(
        await page.$$eval('#per-rate tbody tr', (trs) =>
          trs.map((tr) => Array.from(tr.children).map((c) => (c as HTMLElement).innerText)),
        ),
      ).toEqual(perRate);

      fs.mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: path.join(ARTIFACTS, 'demo.png'), fullPage: true });
      expect(pageErrors).toEqual([]);
    },
    SLOW,
  );

  it(
    'stops training on request, with a message',
    async () => {
      await page.$eval('#epochs', (e) => ((e as HTMLInputElement).value = '3'));
      await page.select('#model', 'latefusion');
      await page.click('#train');
      await page.waitForFunction('Number(document.getElementById("progress").dataset.step) >= 1', {
        timeout: 180_000,
        polling: 50,
      });
      await page.click('#stop');
      await waitState(['stopped', 'done', 'error']);
      expect(await page.evaluate('document.body.dataset.state')).toBe('stopped');
      expect(await text('#train-status')).toMatch(/stopped/);
      // The buttons are usable again.
      expect(await page.$eval('#train', (b) => (b as HTMLButtonElement).disabled)).toBe(false);
      expect(pageErrors).toEqual([]);
    },
    SLOW,
  );

  it(
    'Stop after an epoch has finished keeps the best epoch, evaluates it and ends cleanly',
    async () => {
      // Unhandled rejections are caught by the page (and shown as an error): count them here too.
      await page.evaluate(
        `(globalThis.__rejections = [], addEventListener('unhandledrejection', (e) => globalThis.__rejections.push(String(e.reason))))`,
      );
      await page.select('#dataset', 'tiny');
      await waitText('#data-status', /synthetic-mosi-tiny/);
      await page.select('#model', 'latefusion');
      const set = (sel: string, v: string) => page.$eval(sel, (e, v) => ((e as HTMLInputElement).value = v), v);
      await set('#epochs', '40');
      await set('#rates', '0, 0.5');
      await set('#test-subset', '16');
      await page.click('#train');
      // The status names each finished epoch; stop once one has.
      await waitText('#train-status', /^epoch \d+:/, 180_000);
      await page.click('#stop');
      await waitState(['stopped', 'done', 'error']);
      const status = await text('#train-status');
      expect(status).toMatch(
        /^stopped after epoch \d+; best epoch \d+ kept: \d+ epochs? in \d+ s \(best epoch \d+\), evaluated in/,
      );
      const [, n, m] = /^stopped after epoch (\d+); best epoch (\d+)/.exec(status)!.map(Number);
      expect(n).toBeGreaterThanOrEqual(1);
      expect(n).toBeLessThan(40);
      expect(m).toBeGreaterThanOrEqual(1);
      expect(m).toBeLessThanOrEqual(n);
      expect(await page.evaluate('document.body.dataset.state')).toBe('stopped');
      // The kept model was evaluated at both rates, is probed and can be downloaded.
      const perRate = await page.$$eval('#per-rate tbody tr', (trs) =>
        trs.map((tr) => (tr.children[0] as HTMLElement).innerText),
      );
      expect(perRate).toEqual(['0.0', '0.5', 'avg']);
      expect((await probePreds()).length).toBe(6);
      expect(await page.$eval('#download-model', (b) => (b as HTMLButtonElement).disabled)).toBe(false);
      expect(await text('#model-status')).toMatch(/^current model: late fusion/);
      expect(await page.evaluate('globalThis.__rejections')).toEqual([]);
      expect(pageErrors).toEqual([]);
    },
    SLOW,
  );

  it(
    'says plainly on the next call that the GPU device was lost, and "Start again" gives a page that trains again',
    async () => {
      // A page of its own that keeps every GPUDevice it creates, so the test can lose one (destroy() is the loss a test
      // can cause; the page treats every reason alike).
      const p = await browser.newPage();
      const errors: string[] = [];
      p.on('pageerror', (e) => errors.push(String((e as Error).message ?? e)));
      await p.evaluateOnNewDocument(`{
      const request = GPUAdapter.prototype.requestDevice;
      GPUAdapter.prototype.requestDevice = async function (...args) {
        const device = await request.apply(this, args);
        (globalThis.__devices ??= []).push(device);
        return device;
      };
    }`);
      try {
        await p.goto(server.url);
        await p.waitForFunction('document.body.dataset.ready === "1"', { timeout: 60_000 });
        const txt = (sel: string) => p.$eval(sel, (e) => (e as HTMLElement).innerText);
        const disabled = (sel: string) => p.$eval(sel, (b) => (b as HTMLButtonElement).disabled);
        expect(await p.$eval('#device-lost', (e) => (e as HTMLElement).hidden)).toBe(true);
        await p.select('#model', 'latefusion');
        await p.$eval('#epochs', (e) => ((e as HTMLInputElement).value = '40'));
        await p.evaluate('globalThis.__devices.at(-1).destroy()');
        await p.waitForFunction('document.body.dataset.gpu === "lost"', { timeout: 10_000, polling: 50 });
        // The page offers to start again at once, and the next GPU call (training) names the cause, not a failed readback.
        // (Clicked programmatically: the Train button is disabled now, as it should be.)
        await p.evaluate('document.getElementById("train").disabled = false; document.getElementById("train").click()');
        await p.waitForFunction('["error", "stopped", "done"].includes(document.body.dataset.state)', {
          timeout: 60_000,
          polling: 100,
        });
        expect(await p.evaluate('document.body.dataset.state')).toBe('error');
        expect(await txt('#train-status')).toMatch(/^The GPU device was lost \(it was destroyed/);
        expect(await p.$eval('#device-lost', (e) => (e as HTMLElement).hidden)).toBe(false);
        expect(await txt('#device-lost')).toMatch(/The GPU device was lost .*Start again/);
        expect(await p.evaluate('document.body.dataset.gpu')).toBe('lost');
        expect(await disabled('#train')).toBe(true);
        expect(await disabled('#restart-gpu')).toBe(false);

        await p.click('#restart-gpu');
        await p.waitForFunction('document.body.dataset.gpu === "ready" && document.body.dataset.state === "idle"', {
          timeout: 60_000,
        });
        expect(await p.evaluate('globalThis.__devices.length')).toBe(2);
        expect(await p.$eval('#device-lost', (e) => (e as HTMLElement).hidden)).toBe(true);
        expect(await p.$eval('#adapter', (e) => e.className)).not.toMatch(/error/);
        expect(await disabled('#train')).toBe(false);
        // The new device works: a training step reads its loss back (then Stop).
        await p.click('#train');
        await p.waitForFunction('Number(document.getElementById("progress").dataset.step) >= 1', {
          timeout: 180_000,
          polling: 50,
        });
        await p.click('#stop');
        await p.waitForFunction('["error", "stopped", "done"].includes(document.body.dataset.state)', {
          timeout: 60_000,
          polling: 100,
        });
        expect(await p.evaluate('document.body.dataset.state')).toBe('stopped');
        expect(errors).toEqual([]);
      } finally {
        await p.close();
      }
    },
    SLOW,
  );
});
