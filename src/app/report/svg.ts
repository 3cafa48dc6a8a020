// Hand-written SVG line charts as strings: the HTML report inlines them and the demo page sets them as innerHTML, so
// both draw the same pictures with no charting dependency. Pure functions, no DOM.
//
// A chart is a frame with "nice" ticks (1, 2, 2.5 or 5 × 10^k) on both axes, one <path> per series (non-finite points
// break the line), optional markers, a legend above the plot and axis titles. Every series path carries
// `class="series"`, `data-series` (its name) and `data-points` (its number of finite points), which the tests read.

export interface Series {
  name: string;
  points: readonly (readonly [number, number])[];
  /** CSS colour (default: the palette colour of the series' index). */
  color?: string;
  /** A dashed line, with hollow markers: a series of one point has no line to dash, so the marker tells it apart. */
  dashed?: boolean;
  /** Draw a dot at every point (default: when the series has at most 40 points). */
  markers?: boolean;
  /** Stroke width (default 2). */
  width?: number;
}

export interface ChartOptions {
  title: string;
  xLabel: string;
  yLabel?: string;
  series: readonly Series[];
  width?: number;
  height?: number;
  /** Axis ranges (default: the data's, padded to nice ticks). */
  xDomain?: readonly [number, number];
  yDomain?: readonly [number, number];
  xFormat?: (v: number) => string;
  yFormat?: (v: number) => string;
  /** x is a count (steps, epochs): ticks at whole numbers only. */
  integerX?: boolean;
  /** Extra attributes' worth of identification: becomes `data-chart` on the <svg>. */
  id?: string;
}

/** Colour-blind-friendly palette (Okabe–Ito, without yellow, which is unreadable on white). */
export const PALETTE = ['#0072b2', '#d55e00', '#009e73', '#cc79a7', '#56b4e9', '#e69f00', '#000000', '#999999'];

/** Escapes text for HTML/SVG element content and double-quoted attribute values. */
export function esc(s: unknown): string {
  return String(s).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}

/**
 * Up to about `count` evenly spaced round numbers covering [lo, hi] (the first ≤ lo, the last ≥ hi), at least
 * `minStep` apart (1 for counts such as steps and epochs).
 */
export function niceTicks(lo: number, hi: number, count = 5, minStep = 0): number[] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [0, 1];
  if (hi < lo) [lo, hi] = [hi, lo];
  if (hi === lo) {
    // A flat series: a small window around the value.
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  const raw = (hi - lo) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = Math.max(
    minStep,
    [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw)!,
  );
  // Integer multiples of the step (not a running sum, whose rounding would print 0 as 8.7e-19).
  const k0 = Math.floor(lo / step + 1e-9);
  const k1 = Math.ceil(hi / step - 1e-9);
  const ticks: number[] = [];
  for (let k = k0; k <= k1; k++) ticks.push(k === 0 ? 0 : Number((k * step).toPrecision(12)));
  return ticks;
}

/** A compact default number format for tick labels. */
export function fmtTick(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e4 || a < 1e-3) return v.toExponential(1);
  return String(Number(v.toPrecision(4)));
}

/** At most `max` points: consecutive runs are averaged (x and y), keeping the first and the last point exact. */
export function downsample(points: readonly (readonly [number, number])[], max: number): [number, number][] {
  if (points.length <= max) return points.map(([x, y]) => [x, y]);
  const out: [number, number][] = [[points[0][0], points[0][1]]];
  const inner = points.length - 2;
  const buckets = max - 2;
  for (let b = 0; b < buckets; b++) {
    const from = 1 + Math.floor((b * inner) / buckets);
    const to = 1 + Math.floor(((b + 1) * inner) / buckets);
    let sx = 0;
    let sy = 0;
    let n = 0;
    for (let i = from; i < to; i++) {
      if (!Number.isFinite(points[i][1])) continue;
      sx += points[i][0];
      sy += points[i][1];
      n++;
    }
    if (n) out.push([sx / n, sy / n]);
  }
  const last = points[points.length - 1];
  out.push([last[0], last[1]]);
  return out;
}

const finite = (p: readonly [number, number]) => Number.isFinite(p[0]) && Number.isFinite(p[1]);
const num = (v: number) => String(Math.round(v * 10) / 10);

/** One line chart as an <svg> element string. */
export function lineChart(o: ChartOptions): string {
  const W = o.width ?? 360;
  const H = o.height ?? 240;
  const xf = o.xFormat ?? fmtTick;
  const yf = o.yFormat ?? fmtTick;
  const all = o.series.flatMap((s) => s.points.filter(finite));
  const xs = all.map((p) => p[0]);
  const ys = all.map((p) => p[1]);
  const xMin = o.integerX ? 1 : 0;
  const xTicks = o.xDomain
    ? niceTicks(o.xDomain[0], o.xDomain[1], 6, xMin)
    : niceTicks(Math.min(...xs), Math.max(...xs), 6, xMin);
  const yTicks = o.yDomain ? niceTicks(o.yDomain[0], o.yDomain[1], 5) : niceTicks(Math.min(...ys), Math.max(...ys), 5);
  const x0 = o.xDomain?.[0] ?? xTicks[0];
  const x1 = o.xDomain?.[1] ?? xTicks[xTicks.length - 1];
  const y0 = o.yDomain?.[0] ?? yTicks[0];
  const y1 = o.yDomain?.[1] ?? yTicks[yTicks.length - 1];

  // Legend rows above the plot: as many names per row as fit.
  const legend: { name: string; color: string; dashed: boolean; dot: boolean; x: number; row: number }[] = [];
  let lx = 0;
  let row = 0;
  o.series.forEach((s, i) => {
    const w = 22 + 6.2 * s.name.length + 12;
    if (lx > 0 && lx + w > W - 16) {
      lx = 0;
      row++;
    }
    const dot = s.markers ?? s.points.length <= 40;
    legend.push({ name: s.name, color: s.color ?? PALETTE[i % PALETTE.length], dashed: !!s.dashed, dot, x: lx, row });
    lx += w;
  });
  const legendRows = o.series.length ? row + 1 : 0;
  const ml = 52;
  const mr = 12;
  const mt = 26 + legendRows * 16;
  const mb = 40;
  const pw = Math.max(10, W - ml - mr);
  const ph = Math.max(10, H - mt - mb);
  const sx = (x: number) => ml + (x1 === x0 ? pw / 2 : ((x - x0) / (x1 - x0)) * pw);
  const sy = (y: number) => mt + ph - (y1 === y0 ? ph / 2 : ((y - y0) / (y1 - y0)) * ph);
  const inX = (x: number) => x >= x0 - 1e-9 * Math.abs(x1 - x0) && x <= x1 + 1e-9 * Math.abs(x1 - x0);
  const inY = (y: number) => y >= y0 - 1e-9 * Math.abs(y1 - y0) && y <= y1 + 1e-9 * Math.abs(y1 - y0);

  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}"` +
      `${o.id ? ` data-chart="${esc(o.id)}"` : ''} role="img" aria-label="${esc(o.title)}" font-family="system-ui, sans-serif" font-size="11">`,
  );
  parts.push(`<text x="${ml}" y="15" font-size="13" font-weight="600" fill="#222">${esc(o.title)}</text>`);
  for (const l of legend) {
    const ly = 30 + l.row * 16;
    const lx0 = ml + l.x;
    parts.push(
      `<line x1="${num(lx0)}" y1="${ly - 4}" x2="${num(lx0 + 18)}" y2="${ly - 4}" stroke="${esc(l.color)}" stroke-width="2"${l.dashed ? ' stroke-dasharray="5 3"' : ''}/>` +
        (l.dot ? `<circle cx="${num(lx0 + 9)}" cy="${ly - 4}" r="2.6" ${markerPaint(l.color, l.dashed)}/>` : '') +
        `<text x="${num(lx0 + 22)}" y="${ly}" fill="#333">${esc(l.name)}</text>`,
    );
  }
  // Grid and ticks.
  for (const t of yTicks) {
    if (!inY(t)) continue;
    const y = num(sy(t));
    parts.push(
      `<line x1="${ml}" y1="${y}" x2="${ml + pw}" y2="${y}" stroke="#e5e5e5"/>` +
        `<text x="${ml - 6}" y="${y}" dy="0.32em" text-anchor="end" fill="#555">${esc(yf(t))}</text>`,
    );
  }
  for (const t of xTicks) {
    if (!inX(t)) continue;
    const x = num(sx(t));
    parts.push(
      `<line x1="${x}" y1="${mt + ph}" x2="${x}" y2="${mt + ph + 4}" stroke="#888"/>` +
        `<text x="${x}" y="${mt + ph + 16}" text-anchor="middle" fill="#555">${esc(xf(t))}</text>`,
    );
  }
  parts.push(`<rect x="${ml}" y="${mt}" width="${pw}" height="${ph}" fill="none" stroke="#bbb"/>`);
  parts.push(`<text x="${ml + pw / 2}" y="${H - 6}" text-anchor="middle" fill="#333">${esc(o.xLabel)}</text>`);
  if (o.yLabel) {
    parts.push(
      `<text transform="translate(12 ${mt + ph / 2}) rotate(-90)" text-anchor="middle" fill="#333">${esc(o.yLabel)}</text>`,
    );
  }
  // Series, clipped to the plot.
  o.series.forEach((s, i) => {
    const color = s.color ?? PALETTE[i % PALETTE.length];
    let d = '';
    let pen = false;
    let n = 0;
    for (const p of s.points) {
      if (!finite(p)) {
        pen = false;
        continue;
      }
      d += `${pen ? 'L' : 'M'}${num(sx(p[0]))} ${num(sy(Math.min(Math.max(p[1], y0), y1)))}`;
      pen = true;
      n++;
    }
    parts.push(
      `<path class="series" data-series="${esc(s.name)}" data-points="${n}" d="${d}" fill="none" stroke="${esc(color)}" ` +
        `stroke-width="${s.width ?? 2}" stroke-linejoin="round"${s.dashed ? ' stroke-dasharray="5 3"' : ''}/>`,
    );
    if (s.markers ?? n <= 40) {
      const dots = s.points
        .filter(finite)
        .map((p) => `<circle cx="${num(sx(p[0]))}" cy="${num(sy(Math.min(Math.max(p[1], y0), y1)))}" r="2.6"/>`);
      if (dots.length)
        parts.push(
          `<g class="markers${s.dashed ? ' hollow' : ''}" ${markerPaint(color, !!s.dashed)}>${dots.join('')}</g>`,
        );
    }
  });
  if (!all.length)
    parts.push(`<text x="${ml + pw / 2}" y="${mt + ph / 2}" text-anchor="middle" fill="#999">no data yet</text>`);
  parts.push('</svg>');
  return parts.join('');
}

/** Filled dots for a solid series, hollow ones (white, ringed in the colour) for a dashed one. */
function markerPaint(color: string, hollow: boolean): string {
  return hollow ? `fill="#fff" stroke="${esc(color)}" stroke-width="1.5"` : `fill="${esc(color)}"`;
}
