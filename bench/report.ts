// The results of one `npm run bench`: the JSON written to bench/results/<date>-<adapter>.json, and bench/RESULTS.md
// (plus bench/results/matmul-ladder.svg) generated from it. `npm run bench -- --report <file.json>` regenerates the
// Markdown from a saved file without running anything.

import fs from 'node:fs';
import path from 'node:path';
import type { Profile } from '../src/engine/profile';

export interface Stats {
  median: number;
  min: number;
  max: number;
}

export function stats(xs: number[]): Stats {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  return { median, min: s[0], max: s[s.length - 1] };
}

export const fmt = (x: number): string =>
  !Number.isFinite(x)
    ? String(x)
    : x >= 100
      ? x.toFixed(0)
      : x >= 10
        ? x.toFixed(1)
        : x >= 0.1
          ? x.toFixed(2)
          : x.toPrecision(2);

export interface ImplRecord {
  relErr?: number;
  ok?: boolean;
  inner?: number;
  wall?: Stats;
  gpu?: Stats | null;
  wallMs?: number[];
  gpuMs?: number[] | null;
  note?: string;
  missing?: string;
  error?: string;
}

export interface CompareRecord {
  group: string;
  label: string;
  flops?: number;
  checks: string;
  impls: Record<string, ImplRecord>;
  /** peer wall median / webgrad wall median (and the same from GPU timestamps), per peer that ran and checked ok. */
  ratio: Record<string, number>;
  gpuRatio: Record<string, number>;
  /** The same from the fastest round of each (less sensitive to load from other processes on a shared machine). */
  minRatio?: Record<string, number>;
  /** The fastest peer's time / webgrad's (wall), or null when no peer ran. */
  fastestRatio: number | null;
  fastestPeer: string | null;
  profile?: Profile | null;
  /** With --tuning: webgrad per profile, the first (primary) also in impls.webgrad. */
  tuned?: Record<string, ImplRecord>;
}

export interface LadderRecord {
  shape: string;
  kernel: string;
  M: number;
  K: number;
  N: number;
  wallGflops: Stats;
  gpuGflops: Stats | null;
  ok: boolean;
}

export interface DarRecord {
  preset: string;
  batch: number;
  /** The profile it ran under with --tuning (absent: the adapter's choice). */
  tuning?: string;
  webgrad?: {
    msPerStep: number;
    samplesPerSec: number;
    firstStepMs?: number;
    dispatchesPerStep?: number;
    submitsPerStep?: number;
    parameters?: number;
    profile?: Profile | null;
  } | null;
  webgradError?: string;
  torch?: {
    msPerStep: number;
    samplesPerSec: number;
    torch: string;
    threads: number;
    parameters?: number;
    /** 'cpu' or the CUDA device's name (TORCH_DEVICE=cuda). */
    device?: string;
  } | null;
  torchSkipped?: string;
  /** webgrad samples/s ÷ torch samples/s. */
  ratio?: number | null;
}

export interface BenchResults {
  date: string;
  adapter: string;
  browser: string;
  versions: Record<string, string>;
  peers: Record<string, unknown>;
  machine: { cores: number; cpu: string; loadStart: number[]; loadEnd: number[] };
  options: Record<string, unknown>;
  /** How finely GPU timestamps resolved on this device (timing.ts timestampResolution); absent in older files. */
  timestamps?: string;
  /** The adapter's own profile (and why), and the profiles run (--tuning); absent in older files. */
  tuning?: { adapter: string; profiles: string[] };
  floor: number;
  ladder: LadderRecord[];
  compare: CompareRecord[];
  areas: unknown[];
  dar: DarRecord[];
}

const slug = (s: string) =>
  s
    .toLowerCase()
    .replace(/\[.*?\]/g, '')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 40) || 'adapter';

/** A Node run (--runtime node, on Dawn) of bench/node-page.ts: its results are kept apart from the browser's. */
const isNodeRun = (r: BenchResults) => r.browser.startsWith('none: --runtime node');

/**
 * The adapter name a section is keyed by: "vendor / architecture (description) [notes]" without the notes, and without
 * the description where it only repeats the architecture (Chromium 156 added "(SwiftShader Device (Subzero))" to
 * google / swiftshader, which would otherwise start a second section for the same adapter). A description that names
 * something else, such as the GPU model under nvidia / ampere, stays in the key.
 */
export function adapterName(adapter: string): string {
  const m = /^(.*? \/ (.*?)) \((.*)\)/.exec(adapter.replace(/\s*\[.*?\]/g, ''));
  if (!m) return adapter;
  const [, vendorArch, arch, description] = m;
  return arch && description.toLowerCase().includes(arch.toLowerCase()) ? vendorArch : `${vendorArch} (${description})`;
}

/** The adapter (and runtime) a results file and a RESULTS.md section are named after. */
export const adapterKey = (r: BenchResults): string => `${slug(adapterName(r.adapter))}${isNodeRun(r) ? '-node' : ''}`;

/** Writes <dir>/results/<date>-<adapter>.json (dir: bench/ by default); returns its path. */
export function saveResults(benchDir: string, r: BenchResults): string {
  const dir = path.join(benchDir, 'results');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${r.date}-${adapterKey(r)}.json`);
  fs.writeFileSync(file, JSON.stringify(r, null, 1) + '\n');
  return file;
}

const ratioCell = (x: number | null | undefined) => (x == null ? '–' : `${x.toFixed(2)}×`);

function msCell(i: ImplRecord | undefined): string {
  if (!i) return '–';
  if (i.missing) return 'n/a';
  if (i.error) return 'error';
  if (!i.wall) return '–';
  return `${fmt(i.wall.median)} [${fmt(i.wall.min)}–${fmt(i.wall.max)}]${i.ok === false ? ' ✗' : ''}`;
}

/** A simple SVG bar chart of the ladder's GFLOP/s (wall medians), one group of bars per shape. */
export function ladderSvg(ladder: LadderRecord[]): string {
  const shapes = [...new Set(ladder.map((l) => l.shape))];
  const kernels = [...new Set(ladder.map((l) => l.kernel))];
  const colors = ['#9aa5b1', '#2f6fdf', '#e07b39', '#3a9a5b', '#a34fc4'];
  const max = Math.max(1e-9, ...ladder.map((l) => l.wallGflops.max));
  const rowH = 14 * kernels.length + 10;
  const left = 330;
  const width = 860;
  const plotW = width - left - 70;
  const height = 40 + shapes.length * rowH + 30;
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${left}" y="16" font-size="13" font-weight="bold">webgrad matmul ladder, GFLOP/s (wall-clock median; whiskers min–max)</text>`,
  ];
  kernels.forEach((k, j) => {
    out.push(
      `<rect x="${left + j * 90}" y="24" width="10" height="10" fill="${colors[j % colors.length]}"/>`,
      `<text x="${left + j * 90 + 14}" y="33">${esc(k)}</text>`,
    );
  });
  shapes.forEach((s, i) => {
    const y0 = 44 + i * rowH;
    out.push(`<text x="${left - 6}" y="${y0 + rowH / 2}" text-anchor="end">${esc(s)}</text>`);
    kernels.forEach((k, j) => {
      const l = ladder.find((x) => x.shape === s && x.kernel === k);
      if (!l) return;
      const y = y0 + j * 14;
      const w = (l.wallGflops.median / max) * plotW;
      out.push(
        `<rect x="${left}" y="${y}" width="${w.toFixed(1)}" height="11" fill="${colors[j % colors.length]}"/>`,
        `<line x1="${left + (l.wallGflops.min / max) * plotW}" x2="${left + (l.wallGflops.max / max) * plotW}" y1="${y + 5.5}" y2="${y + 5.5}" stroke="black"/>`,
        `<text x="${left + w + 4}" y="${y + 9}">${fmt(l.wallGflops.median)}</text>`,
      );
    });
  });
  const axisY = 44 + shapes.length * rowH + 4;
  out.push(`<line x1="${left}" x2="${left + plotW}" y1="${axisY}" y2="${axisY}" stroke="#555"/>`);
  for (let t = 0; t <= 4; t++) {
    const x = left + (t / 4) * plotW;
    out.push(`<text x="${x}" y="${axisY + 14}" text-anchor="middle">${fmt((t / 4) * max)}</text>`);
  }
  out.push('</svg>');
  return out.join('\n') + '\n';
}

/** Fastest round of the fastest peer / fastest round of webgrad (older results files lack minRatio). */
function bestRound(c: CompareRecord): number | null {
  if (!c.fastestPeer) return null;
  const w = c.impls.webgrad?.wall;
  const p = c.impls[c.fastestPeer]?.wall;
  return c.minRatio?.[c.fastestPeer] ?? (w && p ? p.min / w.min : null);
}

/** One adapter's section of RESULTS.md (level-2 heading naming the adapter; its parts at level 3 and below). */
export function renderSection(r: BenchResults, jsonName: string, svgName: string | null): string {
  const L: string[] = [];
  const peers = (r.options.peers as string[] | undefined) ?? ['tfjs', 'ort'];
  const profiles = r.tuning && r.tuning.profiles.length > 1 ? r.tuning.profiles : null;
  L.push(
    `## ${r.adapter}${isNodeRun(r) ? ', Node (Dawn)' : ''} — ${r.date}`,
    '',
    `Generated by \`npm run bench\` from \`bench/results/${jsonName}\`. Regenerate this section with ` +
      `\`npm run bench -- --report bench/results/${jsonName}\`.`,
    '',
    `- adapter: ${r.adapter}`,
    `- ${isNodeRun(r) ? 'runtime' : 'browser'}: \`${r.browser}\``,
    ...(r.timestamps ? [`- GPU timestamps: ${r.timestamps}`] : []),
    ...(r.tuning
      ? [`- tuning: the adapter's profile is ${r.tuning.adapter}; ran ${r.tuning.profiles.join(', ')}`]
      : []),
    `- versions: ${Object.entries(r.versions)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
    `- machine: ${r.machine.cores} cores (${r.machine.cpu}); load average ${r.machine.loadStart.map((x) => x.toFixed(2)).join(' / ')} ` +
      `(1/5/15 min) at start, ${r.machine.loadEnd.map((x) => x.toFixed(2)).join(' / ')} at end — other engineers' tests share these cores`,
    `- method: ${String(r.options.method ?? '')}`,
    '',
  );

  if (r.compare.length) {
    L.push(
      '### webgrad vs peers',
      '',
      `Wall-clock ms per call, median [min–max] over interleaved rounds; ratio = peer time / webgrad time (wall medians; ` +
        `> 1 means webgrad is faster). The floor asks for ≥ ${r.floor}× against the fastest peer on every row. ` +
        `Every result was checked against the float64 CPU reference (✗ marks a mismatch; a mismatched result gets no ratio).`,
      ...(profiles
        ? [
            '',
            `One webgrad column per tuning profile, each run under \`init({ tuning })\` on the same device; the peers ran ` +
              `interleaved with the first (${profiles[0]}), and the ratios are against it; "fastest peer/webgrad (p)" is ` +
              `the same ratio for profile p.`,
          ]
        : []),
      ...(peers.includes('ort-wasm')
        ? [
            '',
            'ort-wasm is the CPU column: onnxruntime-web on its wasm backend (SIMD, one thread per core; flags below), ' +
              'what a user without a usable GPU would run instead.',
          ]
        : []),
      '',
      `| row | checked | ${(profiles ?? ['']).map((p) => `webgrad${p && ` (${p})`} ms`).join(' | ')} | ${peers.map((p) => `${p} ms`).join(' | ')} | ${peers.map((p) => `${p}/webgrad`).join(' | ')} | fastest peer/webgrad | ${(profiles ?? []).map((p) => `fastest peer/webgrad (${p}) | `).join('')}gpu-time ratio | best-round ratio | floor |`,
      `|---|---|${(profiles ?? ['']).map(() => '---:').join('|')}|${peers.map(() => '---:').join('|')}|${peers.map(() => '---:').join('|')}|---:|${(profiles ?? []).map(() => '---:|').join('')}---:|---:|:-:|`,
    );
    for (const c of r.compare) {
      const gpu = c.fastestPeer && c.gpuRatio[c.fastestPeer] != null ? ratioCell(c.gpuRatio[c.fastestPeer]) : '–';
      const floor = c.fastestRatio == null ? '–' : c.fastestRatio >= r.floor ? 'ok' : '**below**';
      const fastestMs = c.fastestPeer ? c.impls[c.fastestPeer]?.wall?.median : undefined;
      const perProfile = (profiles ?? []).map((p) => {
        const w = c.tuned?.[p];
        return `${ratioCell(fastestMs !== undefined && w?.wall && w.ok ? fastestMs / w.wall.median : null)} | `;
      });
      const wgCells = profiles ? profiles.map((p) => msCell(c.tuned?.[p])) : [msCell(c.impls.webgrad)];
      L.push(
        `| ${c.group}: ${c.label} | ${c.checks} | ${wgCells.join(' | ')} | ${peers.map((p) => msCell(c.impls[p])).join(' | ')} | ` +
          `${peers.map((p) => ratioCell(c.ratio[p])).join(' | ')} | ${ratioCell(c.fastestRatio)}${c.fastestPeer ? ` (${c.fastestPeer})` : ''} | ${perProfile.join('')}${gpu} | ` +
          `${ratioCell(bestRound(c))} | ${floor} |`,
      );
    }
    const notes = new Map<string, string[]>();
    for (const c of r.compare) {
      for (const [impl, i] of Object.entries(c.impls)) {
        const why = i.missing ?? i.error ?? i.note;
        if (why) notes.set(`${impl}: ${why}`, [...(notes.get(`${impl}: ${why}`) ?? []), `${c.group}: ${c.label}`]);
      }
    }
    const peerFlags = Object.entries(r.peers as Record<string, { flags?: unknown; error?: string }>).map(
      ([name, p]) => `${name}: ${p.error ? `did not load: ${p.error.split('\n')[0]}` : JSON.stringify(p.flags ?? {})}`,
    );
    if (notes.size || peerFlags.length) {
      L.push('', 'Notes:', '');
      for (const f of peerFlags) L.push(`- ${f}`);
      for (const [why, rows] of notes)
        L.push(`- ${why} — ${rows.length > 3 ? `${rows.length} rows` : rows.join('; ')}`);
    }
    const profiled = r.compare.filter((c) => c.profile);
    if (profiled.length) {
      L.push('', "#### Where webgrad's time goes on the rows below the floor", '');
      for (const c of profiled) {
        const p = c.profile!;
        L.push(
          `**${c.group}: ${c.label}** — ${p.dispatches} dispatches, ${p.totalMs.toFixed(2)} ms of kernels (${p.source}):`,
          '',
          '| kernel | dispatches | ms | share |',
          '|---|---:|---:|---:|',
          ...p.kernels
            .slice(0, 6)
            .map((k) => `| ${k.kernel} | ${k.dispatches} | ${k.totalMs.toFixed(2)} | ${(100 * k.share).toFixed(0)}% |`),
          '',
        );
      }
    }
    L.push('');
  }

  if (r.dar.length) {
    L.push(
      '### DAR training step',
      '',
      'One full training step (CLUB estimator inner steps, L_total forward + backward, AdamW), synthetic MOSI-shaped batch. ' +
        "webgrad: bench/dar-step.ts in the same headless Chromium; PyTorch: bench/torch_dar_step.py, the repo's reference DAR " +
        '(test/torch-reference/dar.py) with the same config on this CPU, float32.',
      '',
      '| preset | batch | webgrad ms/step | webgrad samples/s | torch ms/step | torch samples/s | webgrad/torch |',
      '|---|---:|---:|---:|---:|---:|---:|',
    );
    for (const d of r.dar) {
      const w = d.webgrad;
      const t = d.torch;
      L.push(
        `| ${d.preset}${d.tuning ? ` (tuning ${d.tuning})` : ''} | ${d.batch} | ${w ? fmt(w.msPerStep) : d.webgradError ? 'error' : '–'} | ${w ? fmt(w.samplesPerSec) : '–'} | ` +
          `${t ? fmt(t.msPerStep) : '–'} | ${t ? fmt(t.samplesPerSec) : d.torchSkipped ? 'skipped' : '–'} | ${d.ratio != null ? `${d.ratio.toFixed(2)}×` : '–'} |`,
      );
    }
    const torch = r.dar.find((d) => d.torch)?.torch;
    if (torch)
      L.push(
        '',
        `PyTorch ${torch.torch}, ${torch.device && torch.device !== 'cpu' ? `on ${torch.device}` : `${torch.threads} threads`}.`,
      );
    // Unlike the compare rows (frameworks interleaved round by round), the DAR rows run one framework after the other,
    // so a load that changes during the run moves their ratio: say so when the machine was busy.
    const peak = Math.max(r.machine.loadStart[0], r.machine.loadEnd[0]);
    if (peak > r.machine.cores)
      L.push(
        '',
        `**Measured on a busy machine** (load average up to ${peak.toFixed(1)} on ${r.machine.cores} cores): webgrad and ` +
          'PyTorch ran one after the other, not interleaved, so webgrad/torch here reflects the load each met as much as ' +
          'the frameworks; read it only beside a run on a quiet machine.',
      );
    const skipped = r.dar.find((d) => !d.torch && d.torchSkipped)?.torchSkipped;
    if (skipped) L.push('', `PyTorch: ${skipped}.`);
    for (const d of r.dar) {
      const p = d.webgrad?.profile;
      if (!p) continue;
      L.push(
        '',
        `#### Profile of one \`${d.preset}\`${d.tuning ? ` (tuning ${d.tuning})` : ''} step (batch ${d.batch}): ${p.dispatches} dispatches, ${p.totalMs.toFixed(1)} ms of kernels (${p.source})`,
        '',
        '| kernel | dispatches | ms | share | mean µs |',
        '|---|---:|---:|---:|---:|',
        ...p.kernels
          .slice(0, 15)
          .map(
            (k) =>
              `| ${k.kernel} | ${k.dispatches} | ${k.totalMs.toFixed(2)} | ${(100 * k.share).toFixed(1)}% | ${k.meanUs.toFixed(0)} |`,
          ),
      );
      if (p.kernels.length > 15)
        L.push(
          `| (${p.kernels.length - 15} more) | ${p.kernels.slice(15).reduce((n, k) => n + k.dispatches, 0)} | ` +
            `${p.kernels
              .slice(15)
              .reduce((n, k) => n + k.totalMs, 0)
              .toFixed(2)} | | |`,
        );
    }
    L.push('');
  }

  if (r.ladder.length) {
    L.push('### matmul ladder (webgrad only)', '', 'GFLOP/s = 2·M·N·K / time, median [min–max].', '');
    if (svgName) L.push(`![matmul ladder GFLOP/s](results/${svgName})`, '');
    L.push('| shape | kernel | wall GFLOP/s | gpu GFLOP/s | check |', '|---|---|---:|---:|:-:|');
    for (const l of r.ladder) {
      const g = (s: Stats | null) => (s ? `${fmt(s.median)} [${fmt(s.min)}–${fmt(s.max)}]` : 'n/a');
      L.push(`| ${l.shape} | ${l.kernel} | ${g(l.wallGflops)} | ${g(l.gpuGflops)} | ${l.ok ? 'ok' : 'MISMATCH'} |`);
    }
    L.push('');
  }
  return L.join('\n');
}

const HEAD = [
  '# Benchmark results',
  '',
  'One section per adapter (and runtime), each generated by `npm run bench` (or bench/gpu/run.sh) from its results ' +
    "file in bench/results/; a new run replaces its own adapter's section and leaves the others.",
  '',
].join('\n');

const begin = (key: string) => `<!-- adapter: ${key} -->`;
const END = '<!-- end adapter -->';

/**
 * Writes `r`'s section into <dir>/RESULTS.md (dir: bench/ by default; the ladder's SVG beside its JSON), replacing
 * the section of the same adapter and keeping the others. Returns the Markdown file's path.
 */
export function writeMarkdown(benchDir: string, r: BenchResults, jsonFile: string): string {
  let svgName: string | null = null;
  if (r.ladder.length) {
    svgName = `${path.basename(jsonFile, '.json')}-matmul-ladder.svg`;
    fs.writeFileSync(path.join(path.dirname(jsonFile), svgName), ladderSvg(r.ladder));
  }
  const md = path.join(benchDir, 'RESULTS.md');
  const key = adapterKey(r);
  const sections = new Map<string, string>();
  const old = fs.existsSync(md) ? fs.readFileSync(md, 'utf8') : '';
  for (const m of old.matchAll(/<!-- adapter: (\S+) -->\n([\s\S]*?)\n<!-- end adapter -->/g)) sections.set(m[1], m[2]);
  sections.set(key, renderSection(r, path.basename(jsonFile), svgName).trimEnd());
  const body = [...sections].map(([k, text]) => `${begin(k)}\n${text}\n${END}`).join('\n\n');
  fs.writeFileSync(md, `${HEAD}\n${body}\n`);
  return md;
}
