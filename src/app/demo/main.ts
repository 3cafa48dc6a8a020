// The demo page (`npm run demo`): shows the WebGPU adapter, trains a model from the list in ./models on synthetic data
// or an MMSA pickle read locally, draws the loss terms live, then the robustness curves and Table 1's row, lets the
// user probe predictions at any missing rate (and, for DAR, see its decoupled spaces move in 3D: ./spaces-panel.ts),
// profiles one training step per kernel, and saves / loads models as safetensors. Everything runs on the page's main thread; training yields to the page after every step.
//
// For tests the page keeps `document.body.dataset.state` current: idle, busy, done, stopped or error.

import { init, adapterInfo } from '../../engine/engine';
import { describeAdapter } from '../../engine/gpu';
import type { Dataset } from '../data/types';
import type { EpochSummary, TrainProgress } from '../train/index';
import type { Profile } from '../../engine/profile';
import {
  fmtSeconds,
  htmlReport,
  perRateHtml,
  plural,
  robustnessCharts,
  table1Html,
  htmlTable,
  type RunResults,
} from '../report/html';
import { downsample, esc, lineChart, PALETTE, type Series } from '../report/svg';
import { DEMO_MODELS, type DemoModel } from './models';
import { RunControl, StopRequested, yieldToPage, type RunState } from './control';
import { deviceLost, lostMessage, lostWithin, watchDevice } from './device-lost';
import {
  checkDims,
  EVAL_RATES,
  loadModelFile,
  modelFile,
  parseRates,
  predictAt,
  probeIndices,
  ProbeMasks,
  profileTrainingStep,
  readPickleFile,
  robustness,
  syntheticDataset,
  trainRun,
  evaluateRun,
  type DatasetChoice,
  type TrainedModel,
} from './session';
import { $, CSS, download, el, errorText, field, numberInput, setStatus } from './dom';
import { SpacesPanel } from './spaces-panel';

// ---------------------------------------------------------------------------------------------------- page state

const spacesPanel = new SpacesPanel();

const state = {
  dataset: null as Dataset | null,
  trained: null as TrainedModel | null,
  results: null as RunResults | null,
  control: null as RunControl | null,
  probe: null as ProbeMasks | null,
  busy: false,
  gpu: false,
};

function setPageState(s: 'idle' | 'busy' | 'done' | 'stopped' | 'error') {
  document.body.dataset.state = s;
}

function setBusy(busy: boolean) {
  state.busy = busy;
  for (const id of ['train', 'dataset', 'pickle', 'model', 'load-model', 'evaluate', 'profile-btn'])
    ($(id) as HTMLButtonElement).disabled = busy || (!state.gpu && id !== 'dataset' && id !== 'pickle');
  ($('pause') as HTMLButtonElement).disabled = !busy;
  ($('resume') as HTMLButtonElement).disabled = true;
  ($('stop') as HTMLButtonElement).disabled = !busy;
  const haveModel = !!state.trained && !busy;
  ($('download-model') as HTMLButtonElement).disabled = !haveModel;
  ($('evaluate') as HTMLButtonElement).disabled = !haveModel || !state.dataset;
  ($('download-report') as HTMLButtonElement).disabled = busy || !state.results;
  ($('rate') as HTMLInputElement).disabled = !state.trained;
  ($('restart-gpu') as HTMLButtonElement).disabled = busy;
}

function onControl(s: RunState) {
  ($('pause') as HTMLButtonElement).disabled = s !== 'running';
  ($('resume') as HTMLButtonElement).disabled = s !== 'paused';
  ($('stop') as HTMLButtonElement).disabled = s === 'stopping';
  document.body.dataset.run = s;
  if (s === 'paused') setStatus('train-status', 'pausing after this step…');
  if (s === 'stopping') setStatus('train-status', 'stopping after this step…');
  if (s === 'running') setStatus('train-status', 'running');
}

function onHold(held: boolean) {
  if (held) {
    document.body.dataset.held = '1';
    setStatus(
      'train-status',
      `paused after step ${$('progress').dataset.step ?? 0}: Resume continues from there; Stop ends training ` +
        '(keeping the best epoch so far, if any)',
    );
  } else delete document.body.dataset.held;
}

/**
 * Runs an action of the page: busy while it runs, errors shown as a message (never a stack trace in the console).
 * `stoppedText` is the message when a Stop ended the action before it had anything to show.
 */
async function guarded(statusId: string, fn: () => Promise<void>, stoppedText = 'stopped') {
  setBusy(true);
  setPageState('busy');
  try {
    await fn();
    setPageState(document.body.dataset.state === 'stopped' ? 'stopped' : 'done');
  } catch (e) {
    const lost = await lostWithin(250);
    if (lost) {
      setStatus(statusId, lostMessage(lost), 'error');
      setPageState('error');
    } else if (e instanceof StopRequested) {
      setStatus(statusId, stoppedText, 'warn');
      setPageState('stopped');
    } else {
      setStatus(statusId, errorText(e), 'error');
      setPageState('error');
    }
  } finally {
    state.control = null;
    delete document.body.dataset.run;
    setBusy(false);
  }
}

/** A fresh pause/stop control for the next piece of work, wired to the buttons. */
function newControl(): RunControl {
  const control = (state.control = new RunControl(onControl, onHold));
  onControl('running');
  return control;
}

// ------------------------------------------------------------------------------------------------------ layout

function buildPage() {
  document.title = 'webgrad demo: DAR on WebGPU';
  document.head.append(el('style', {}, CSS));
  const modelSelect = el('select', { id: 'model' }, ...DEMO_MODELS.map((m) => el('option', { value: m.id }, m.label)));
  const rateSlider = el('input', { id: 'rate', type: 'range', min: '0', max: '0.9', step: '0.05', value: '0' });
  document.body.append(
    el('h1', {}, 'webgrad: train, watch and probe multimodal sentiment models on WebGPU'),
    el(
      'p',
      { class: 'sub' },
      'Every kernel runs as hand-written WGSL in this tab. Nothing is uploaded: data files are read locally.',
    ),

    el('h2', {}, 'WebGPU adapter'),
    el(
      'section',
      { id: 'adapter-section' },
      el('div', { id: 'adapter', class: 'status' }, 'requesting a WebGPU device…'),
      el('div', { id: 'limits' }),
      el(
        'div',
        { id: 'device-lost', class: 'status error', hidden: '' },
        el('span', { id: 'device-lost-text' }),
        ' ',
        el('button', { id: 'restart-gpu' }, 'Start again'),
      ),
    ),

    el('h2', {}, 'Data'),
    el(
      'section',
      {},
      el(
        'div',
        { class: 'row' },
        field(
          'dataset',
          el(
            'select',
            { id: 'dataset' },
            el('option', { value: 'tiny' }, 'synthetic-mosi, tiny (48/16/32)'),
            el('option', { value: 'synthetic-mosi' }, 'synthetic-mosi (MOSI-sized: 1284/229/686)'),
            el('option', { value: 'file' }, 'an MMSA pickle (unaligned_50.pkl)…'),
          ),
        ),
        field('MMSA pickle', el('input', { id: 'pickle', type: 'file', accept: '.pkl,.pickle' })),
      ),
      el('div', { id: 'data-status', class: 'status' }),
    ),

    el('h2', {}, 'Training'),
    el(
      'section',
      {},
      el(
        'div',
        { class: 'row' },
        field('model', modelSelect),
        el('span', { id: 'model-options', class: 'row', style: 'margin:0' }),
        field('epochs', numberInput('epochs', 1, { min: '1', step: '1' })),
        field('batch size', numberInput('batch', 16, { min: '1', step: '1' })),
        field('learning rate', numberInput('lr', 2e-3, { min: '0', step: 'any' })),
        field('training missing rate k', numberInput('k', 0.3, { min: '0', max: '0.95', step: '0.05' })),
        field('seed', numberInput('seed', 1111, { step: '1' })),
        field(
          'evaluation missing rates',
          el('input', { id: 'rates', type: 'text', value: EVAL_RATES.map((r) => r.toFixed(1)).join(', ') }),
        ),
        field('test samples (blank: all)', numberInput('test-subset', 0, { min: '0', step: '1' })),
      ),
      el(
        'div',
        { class: 'row' },
        el('button', { id: 'train' }, 'Train'),
        el('button', { id: 'pause', disabled: '' }, 'Pause'),
        el('button', { id: 'resume', disabled: '' }, 'Resume'),
        el('button', { id: 'stop', disabled: '' }, 'Stop'),
        el('progress', { id: 'progress-bar', max: '1', value: '0' }),
      ),
      el('div', { id: 'train-status', class: 'status' }),
      el('div', { id: 'progress' }),
    ),

    el('h2', {}, 'Loss curves (every term, per step; dashed: validation per epoch)'),
    el('div', { id: 'loss-charts', class: 'charts' }),

    el('h2', {}, 'Robustness to missing modalities'),
    el('div', { id: 'robustness', class: 'charts' }),
    el('div', { id: 'tables' }),
    el(
      'div',
      { class: 'row' },
      el('button', { id: 'evaluate', disabled: '' }, 'Evaluate the current model'),
      el('button', { id: 'download-report', disabled: '' }, 'Download the HTML report'),
    ),
    el('div', { id: 'eval-status', class: 'status' }),

    el('h2', {}, 'Probe: predictions at a missing rate'),
    el(
      'section',
      {},
      el(
        'div',
        { class: 'row' },
        field('missing rate (text, audio and vision)', rateSlider),
        el('span', { id: 'rate-value' }, '0.00'),
      ),
      el('div', { id: 'probe' }, el('p', { class: 'note' }, 'Train or load a model to probe it.')),
    ),

    el('h2', {}, 'Decoupled spaces in 3D'),
    spacesPanel.section(),

    el('h2', {}, 'Model file'),
    el(
      'section',
      {},
      el(
        'div',
        { class: 'row' },
        el('button', { id: 'download-model', disabled: '' }, 'Download the model (.safetensors)'),
        field('load a model (.safetensors)', el('input', { id: 'load-model', type: 'file', accept: '.safetensors' })),
      ),
      el('div', { id: 'model-status', class: 'status' }),
    ),

    el('h2', {}, 'Profile of one training step'),
    el(
      'section',
      {},
      el(
        'div',
        { class: 'row' },
        el('button', { id: 'profile-btn' }, 'Profile one step'),
        el('span', { class: 'note' }, 'a fresh model of the chosen kind, one warm-up step, then one timed step'),
      ),
      el('div', { id: 'profile-status', class: 'status' }),
      el('div', { id: 'profile' }),
    ),
  );
  renderModelOptions();
  renderLossCharts();
}

function currentModel(): DemoModel {
  return DEMO_MODELS.find((m) => m.id === ($('model') as HTMLSelectElement).value) ?? DEMO_MODELS[0];
}

function renderModelOptions() {
  const m = currentModel();
  const box = $('model-options');
  box.replaceChildren(
    ...m.options.map((o) =>
      field(
        o.label,
        el(
          'select',
          { id: `opt-${o.key}`, 'data-key': o.key },
          ...o.choices.map((c) => el('option', c === o.default ? { value: c, selected: '' } : { value: c }, c)),
        ),
      ),
    ),
  );
  ($('lr') as HTMLInputElement).value = String(m.defaults.lr);
}

function modelOptionValues(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const s of Array.from($('model-options').querySelectorAll('select'))) out[s.dataset.key!] = s.value;
  return out;
}

// -------------------------------------------------------------------------------------------------------- data

async function loadChosenDataset() {
  const choice = ($('dataset') as HTMLSelectElement).value;
  if (choice === 'file') {
    const f = ($('pickle') as HTMLInputElement).files?.[0];
    if (!f) {
      state.dataset = null;
      setStatus('data-status', 'choose an MMSA pickle with the file input (it is read in this tab, not uploaded)');
      return;
    }
    return loadPickle(f);
  }
  setDataset(syntheticDataset(choice as DatasetChoice), []);
}

async function loadPickle(f: File) {
  ($('dataset') as HTMLSelectElement).value = 'file';
  state.dataset = null;
  setStatus('data-status', `reading ${f.name} (${(f.size / 1e6).toFixed(1)} MB) in this tab…`);
  await yieldToPage();
  try {
    const { dataset, warnings } = await readPickleFile(f);
    setDataset(dataset, warnings, `${f.name} (${dataset.name})`);
  } catch (e) {
    setStatus('data-status', errorText(e), 'error');
  }
}

function setDataset(ds: Dataset, warnings: readonly string[], title = ds.name) {
  state.dataset = ds;
  state.probe = null;
  spacesPanel.reset();
  const d = ds.dims;
  setStatus(
    'data-status',
    `${title}: train/valid/test ${ds.sizes.train}/${ds.sizes.valid}/${ds.sizes.test} samples; text ${d.text.len}×${d.text.dim}, ` +
      `audio ${d.audio.len}×${d.audio.dim}, vision ${d.vision.len}×${d.vision.dim}${warnings.length ? `. Warnings: ${warnings.join('; ')}` : ''}`,
    warnings.length ? 'warn' : 'info',
  );
  if (state.trained) void renderProbe();
}

// ---------------------------------------------------------------------------------------------------- training

/** Per-step values of every term, and validation values per epoch, for the live charts. */
const live = {
  steps: new Map<string, [number, number][]>(),
  valid: new Map<string, [number, number][]>(),
  lastDraw: 0,
  totalSteps: 1,
};

function renderLossCharts() {
  const terms = [...live.steps.keys()];
  if (!terms.length) {
    $('loss-charts').innerHTML = lineChart({
      id: 'loss-empty',
      title: 'loss',
      xLabel: 'step',
      series: [],
      width: 300,
      height: 190,
    });
    return;
  }
  $('loss-charts').innerHTML = terms
    .map((t, i) => {
      const series: Series[] = [
        {
          name: 'train (step)',
          points: downsample(live.steps.get(t)!, 600),
          color: PALETTE[i % PALETTE.length],
          width: 1.5,
        },
      ];
      const v = live.valid.get(t);
      if (v?.length) series.push({ name: 'valid (epoch)', points: v, color: '#333333', dashed: true, markers: true });
      return lineChart({
        id: `live-${t}`,
        title: t,
        xLabel: 'step',
        integerX: true,
        series,
        width: 300,
        height: 190,
        xDomain: [0, Math.max(1, live.totalSteps)],
      });
    })
    .join('');
}

function readSettings() {
  const num = (id: string, what: string, check: (v: number) => boolean, rule: string) => {
    const v = Number(($(id) as HTMLInputElement).value);
    if (!check(v)) throw new Error(`${what} must be ${rule}, got "${($(id) as HTMLInputElement).value}"`);
    return v;
  };
  const posInt = (v: number) => Number.isInteger(v) && v >= 1;
  const subset = Number(($('test-subset') as HTMLInputElement).value);
  return {
    model: currentModel(),
    options: modelOptionValues(),
    epochs: num('epochs', 'epochs', posInt, 'a whole number ≥ 1'),
    batchSize: num('batch', 'batch size', posInt, 'a whole number ≥ 1'),
    lr: num('lr', 'the learning rate', (v) => v > 0 && Number.isFinite(v), 'a number > 0'),
    trainMissingRate: num('k', 'the training missing rate k', (v) => v >= 0 && v < 1, 'in [0, 1)'),
    seed: num('seed', 'the seed', Number.isInteger, 'a whole number'),
    rates: parseRates(($('rates') as HTMLInputElement).value),
    testSubset: Number.isInteger(subset) && subset > 0 ? subset : undefined,
  };
}

function fmtTerms(t: Record<string, number>) {
  return Object.entries(t)
    .map(
      ([k, v]) => `${k} ${Math.abs(v) >= 100 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(2) : v.toFixed(4)}`,
    )
    .join('  ');
}

function showProgress(p: TrainProgress) {
  live.totalSteps = p.totalSteps;
  for (const [k, v] of Object.entries(p.terms)) {
    let a = live.steps.get(k);
    if (!a) live.steps.set(k, (a = []));
    a.push([p.globalStep, v]);
  }
  const bar = $('progress-bar') as HTMLProgressElement;
  bar.value = p.globalStep / p.totalSteps;
  const pr = $('progress');
  pr.dataset.step = String(p.globalStep);
  pr.textContent =
    `epoch ${p.epoch}/${p.epochs}  step ${p.step}/${p.stepsPerEpoch} (${p.globalStep}/${p.totalSteps})  ` +
    `${p.samplesPerSec.toFixed(1)} samples/s  ETA ${Math.round(p.etaSec)} s\n${fmtTerms(p.terms)}  lr ${p.lr.toExponential(2)}`;
  const now = performance.now();
  if (now - live.lastDraw > 250 || p.globalStep === p.totalSteps) {
    live.lastDraw = now;
    renderLossCharts();
  }
}

function showEpoch(e: EpochSummary) {
  for (const [k, v] of Object.entries(e.valid)) {
    let a = live.valid.get(k);
    if (!a) live.valid.set(k, (a = []));
    a.push([e.globalStep, v]);
  }
  renderLossCharts();
  const v = e.validMetrics;
  setStatus(
    'train-status',
    `epoch ${e.epoch}: validation loss ${e.valid.total.toFixed(4)}, MAE ${v.mae.toFixed(3)}, Acc-2 (Has0) ${(100 * v.acc2Has0).toFixed(1)}` +
      `${e.improved ? ' (best so far)' : ''}; ${e.seconds.toFixed(1)} s`,
  );
}

function showResults(r: RunResults) {
  state.results = r;
  $('robustness').innerHTML = robustnessCharts(r, { width: 360, height: 250 }).join('');
  $('tables').innerHTML = table1Html(r) + perRateHtml(r);
}

function replaceTrained(t: TrainedModel | null) {
  if (state.trained && state.trained !== t) {
    spacesPanel.reset();
    state.trained.model.dispose();
  }
  state.trained = t;
}

async function train() {
  const ds = state.dataset;
  if (!ds) throw new Error('load a dataset first');
  const s = readSettings();
  replaceTrained(null);
  state.results = null;
  $('robustness').innerHTML = '';
  $('tables').innerHTML = '';
  $('probe').replaceChildren(el('p', { class: 'note' }, 'Train or load a model to probe it.'));
  live.steps.clear();
  live.valid.clear();
  delete $('progress').dataset.step;
  live.totalSteps = s.epochs * Math.ceil(ds.sizes.train / s.batchSize);
  renderLossCharts();
  setStatus('train-status', `training ${s.model.describe(s.options)} on ${ds.name}…`);
  const onCompile = (done: number, total: number) => {
    if (total > 0) setStatus('train-status', `compiling kernels ${done}/${total} for the first training step…`);
  };
  const run = await trainRun(ds, s, newControl(), { onProgress: showProgress, onEpoch: showEpoch, onCompile });
  // The model is the page's from here on: a stop or failure of the evaluation leaves it loaded.
  replaceTrained(run.trained);
  setModelStatus();
  renderLossCharts();
  const stopped = run.stoppedByUser ? `stopped after epoch ${run.epochsRun}; best epoch ${run.bestEpoch} kept` : '';
  setStatus(
    'train-status',
    `${stopped ? `${stopped}; ` : ''}evaluating at ${s.rates.length} missing rates…`,
    stopped ? 'warn' : 'info',
  );
  let results: RunResults;
  try {
    results = await evaluateRun(run, ds, s, newControl(), showEvalProgress);
  } catch (e) {
    if (!(e instanceof StopRequested)) throw e;
    setStatus(
      'train-status',
      `${stopped || `trained ${plural(run.epochsRun, 'epoch')} (best epoch ${run.bestEpoch} kept)`}; evaluation stopped, so no tables`,
      'warn',
    );
    setPageState('stopped');
    await renderProbe();
    return;
  }
  state.control = null;
  showResults(results);
  const tr = results.training?.[0];
  setStatus(
    'train-status',
    `${stopped || 'done'}: ${plural(run.epochsRun, 'epoch')} in ${fmtSeconds(run.trainSeconds)} (best epoch ${run.bestEpoch}), ` +
      `evaluated in ${tr?.evalSeconds !== undefined ? fmtSeconds(tr.evalSeconds) : '?'}`,
    stopped ? 'warn' : 'info',
  );
  await renderProbe();
  await runProfile();
  if (stopped) setPageState('stopped');
}

function showEvalProgress(done: number, total: number) {
  ($('progress-bar') as HTMLProgressElement).value = done / total;
  $('progress').textContent = `evaluating: ${done}/${total} predictions`;
}

async function evaluateCurrent() {
  const t = state.trained;
  const ds = state.dataset;
  if (!t || !ds) throw new Error('train or load a model, and load a dataset, first');
  const s = readSettings();
  setStatus('eval-status', `evaluating ${t.label} on ${ds.name} at ${s.rates.length} missing rates…`);
  const r = await robustness(t, ds, s.rates, newControl(), showEvalProgress, s.testSubset);
  showResults(r);
  setStatus('eval-status', `evaluated ${t.label} on ${r.run?.testSamples} test samples of ${ds.name}`);
}

// ------------------------------------------------------------------------------------------------------- probe

let probeBusy = false;
let probeAgain = false;

/** Predictions of the current model on a few test samples at the slider's rate (and at 0 for reference). */
async function renderProbe() {
  if (probeBusy) {
    probeAgain = true;
    return;
  }
  const t = state.trained;
  const ds = state.dataset;
  if (!t || !ds) return;
  probeBusy = true;
  try {
    do {
      probeAgain = false;
      const rate = Number(($('rate') as HTMLInputElement).value);
      $('rate-value').textContent = rate.toFixed(2);
      try {
        checkDims(t, ds);
        state.probe ??= new ProbeMasks(ds);
        const ix = probeIndices(ds);
        const at0 = await predictAt(t.model, ds, state.probe, ix, 0);
        const atR = rate === 0 ? at0 : await predictAt(t.model, ds, state.probe, ix, rate);
        const bar = (v: number) => {
          // A bar from 0 to v on a [-3, 3] axis, 120 px wide.
          const x = (u: number) => 60 + Math.max(-3, Math.min(3, u)) * 20;
          return (
            `<svg width="124" height="14" viewBox="0 0 124 14"><line x1="60" y1="0" x2="60" y2="14" stroke="#bbb"/>` +
            `<rect x="${Math.min(x(0), x(v)).toFixed(1)}" y="3" width="${Math.abs(x(v) - x(0)).toFixed(1)}" height="8" fill="${v >= 0 ? '#0072b2' : '#d55e00'}"/></svg>`
          );
        };
        const rows = ix.map(
          (_, i) =>
            `<tr><th scope="row">${esc(at0.ids[i])}</th><td class="num">${at0.labels[i].toFixed(2)}</td><td class="num">${at0.preds[i].toFixed(3)}</td>` +
            `<td class="num" data-pred="${atR.preds[i]}">${atR.preds[i].toFixed(3)}</td><td>${bar(atR.preds[i])}</td></tr>`,
        );
        $('probe').innerHTML =
          `<table id="probe-table"><caption>${esc(t.label)} on test samples of ${esc(ds.name)}; every modality missing at rate ` +
          `${rate.toFixed(2)} (LNLN's masks, seed 1111)</caption><thead><tr><th>sample</th><th class="num">label</th><th class="num">pred @ 0.00</th>` +
          `<th class="num">pred @ ${rate.toFixed(2)}</th><th>−3 … 3</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
        $('probe').dataset.rate = String(rate);
        await spacesPanel.update(t.model, ds, state.probe, rate);
      } catch (e) {
        $('probe').replaceChildren(el('div', { class: 'status error' }, errorText(e)));
      }
    } while (probeAgain);
  } finally {
    probeBusy = false;
  }
}

// ----------------------------------------------------------------------------------------------------- profile

function renderProfile(p: Profile) {
  const top = p.kernels.slice(0, 30);
  const max = Math.max(1e-9, ...top.map((k) => k.share));
  const rows = top.map(
    (k) =>
      `<tr><th scope="row">${esc(k.kernel)}</th><td class="num">${k.dispatches}</td><td class="num">${k.totalMs.toFixed(3)}</td>` +
      `<td class="num">${(100 * k.share).toFixed(1)}%</td><td><span class="bar" style="width:${Math.round((120 * k.share) / max)}px"></span></td>` +
      `<td class="num">${k.meanUs.toFixed(1)}</td></tr>`,
  );
  const more =
    p.kernels.length > top.length ? `<p class="note">${p.kernels.length - top.length} more kernels not shown</p>` : '';
  $('profile').innerHTML =
    `<table id="profile-table"><caption>${p.source === 'timestamp' ? 'GPU timestamps' : 'wall clock per dispatch (no timestamp-query on this device)'}: ` +
    `${p.dispatches} dispatches in ${p.submits} submits, ${p.totalMs.toFixed(2)} ms of kernels, ${p.wallMs.toFixed(1)} ms wall</caption>` +
    `<thead><tr><th>kernel</th><th class="num">dispatches</th><th class="num">ms</th><th class="num">share</th><th></th><th class="num">mean µs</th></tr></thead>` +
    `<tbody>${rows.join('')}</tbody></table>${more}`;
}

async function runProfile() {
  const ds = state.dataset;
  if (!ds) throw new Error('load a dataset first');
  const s = readSettings();
  setStatus('profile-status', `profiling one training step of ${s.model.describe(s.options)} (batch ${s.batchSize})…`);
  await yieldToPage();
  try {
    const p = await profileTrainingStep(s.model, s.options, ds, s.batchSize, s.trainMissingRate, s.seed);
    renderProfile(p);
    setStatus(
      'profile-status',
      `one step of ${s.model.describe(s.options)}, batch ${Math.min(s.batchSize, ds.sizes.train)}: ${p.kernels.length} kernels`,
    );
  } catch (e) {
    setStatus('profile-status', `profiling failed: ${errorText(e)}`, 'error');
  }
}

// -------------------------------------------------------------------------------------------------- model files

function setModelStatus() {
  const t = state.trained;
  setStatus(
    'model-status',
    t
      ? `current model: ${t.label}, seed ${t.seed}, ${t.model
          .parameters()
          .reduce((n, p) => n + p.size, 0)
          .toLocaleString('en-US')} parameters (trained on ${t.datasetName})`
      : '',
  );
}

async function downloadModel() {
  const t = state.trained;
  if (!t) throw new Error('no model to download: train or load one first');
  const bytes = await modelFile(t);
  download(bytes, `${t.entry.id}-seed${t.seed}.safetensors`, 'application/octet-stream');
  setStatus('model-status', `saved ${t.label} (${(bytes.length / 1e3).toFixed(1)} kB)`);
}

async function loadModel(f: File) {
  const bytes = new Uint8Array(await f.arrayBuffer());
  const t = loadModelFile(bytes, f.name, state.dataset);
  replaceTrained(t);
  setModelStatus();
  setStatus('model-status', `loaded ${t.label} from ${f.name} (trained on ${t.datasetName})`);
  await renderProbe();
}

// -------------------------------------------------------------------------------------------------------- start

function showAdapter() {
  const a = adapterInfo();
  setStatus('adapter', `${describeAdapter(a)}; features: ${a.features.join(', ') || 'none'}`);
  const keys = Object.keys(a.limits).sort();
  const rows = keys.map((k) => [k, a.limits[k].toLocaleString('en-US')]);
  $('limits').innerHTML =
    `<details><summary>${keys.length} device limits</summary>${htmlTable(['limit', 'value'], rows, { id: 'limits-table' })}</details>`;
}

/** Gets a WebGPU device for the page and watches it for loss. */
async function startGpu() {
  try {
    const rt = await init();
    watchDevice(rt.device, onDeviceLost);
    state.gpu = true;
    document.body.dataset.gpu = 'ready';
    showAdapter();
  } catch (e) {
    setStatus('adapter', `WebGPU is not available: ${errorText(e)}`, 'error');
  }
}

/** The device is gone: say so, drop what lived on it, and offer a new one. A paused run is stopped so it can end. */
function onDeviceLost(info: GPUDeviceLostInfo) {
  state.gpu = false;
  document.body.dataset.gpu = 'lost';
  state.trained = null; // its buffers went with the device
  spacesPanel.reset();
  state.control?.stop();
  $('device-lost-text').textContent = lostMessage(info);
  $('device-lost').hidden = false;
  setStatus('adapter', 'no WebGPU device: it was lost', 'error');
  setModelStatus();
  setBusy(state.busy);
}

/** "Start again": a new device and runtime; the data, settings and results shown stay. */
async function restartGpu() {
  setBusy(true);
  setStatus('adapter', 'requesting a new WebGPU device…');
  await startGpu();
  if (state.gpu) $('device-lost').hidden = true;
  state.trained = null; // (a run that ended as the device went may have left a model on it)
  setModelStatus();
  $('probe').replaceChildren(el('p', { class: 'note' }, 'Train or load a model to probe it.'));
  setBusy(false);
  setPageState('idle');
}

async function main() {
  buildPage();
  setBusy(true);
  // Errors nobody caught still end up on the page, as a message.
  // (Once the device is lost, the loss is the message, not the failures that follow from it.)
  window.addEventListener('error', (ev) => {
    if (!deviceLost()) setStatus('train-status', errorText(ev.error ?? ev.message), 'error');
    ev.preventDefault();
  });
  window.addEventListener('unhandledrejection', (ev) => {
    if (!deviceLost()) setStatus('train-status', errorText(ev.reason), 'error');
    ev.preventDefault();
  });
  await startGpu();
  setBusy(false);
  $('restart-gpu').addEventListener('click', () => void restartGpu());

  $('model').addEventListener('change', renderModelOptions);
  $('dataset').addEventListener('change', () => void loadChosenDataset());
  $('pickle').addEventListener('change', () => {
    const f = ($('pickle') as HTMLInputElement).files?.[0];
    if (f) void loadPickle(f);
  });
  $('train').addEventListener(
    'click',
    () => void guarded('train-status', train, 'stopped before the first epoch had finished: no model was kept'),
  );
  $('pause').addEventListener('click', () => state.control?.pause());
  $('resume').addEventListener('click', () => state.control?.resume());
  $('stop').addEventListener('click', () => state.control?.stop());
  $('evaluate').addEventListener(
    'click',
    () => void guarded('eval-status', evaluateCurrent, 'evaluation stopped: the model is unchanged'),
  );
  $('download-report').addEventListener('click', () => {
    if (state.results) download(htmlReport(state.results), 'report.html', 'text/html');
  });
  $('rate').addEventListener('input', () => void renderProbe());
  $('profile-btn').addEventListener('click', () => void guarded('profile-status', runProfile));
  $('download-model').addEventListener('click', () => void guarded('model-status', downloadModel));
  $('load-model').addEventListener('change', () => {
    const f = ($('load-model') as HTMLInputElement).files?.[0];
    if (f) void guarded('model-status', () => loadModel(f));
  });
  await loadChosenDataset();
  setPageState('idle');
  document.body.dataset.ready = '1';
}

void main();
