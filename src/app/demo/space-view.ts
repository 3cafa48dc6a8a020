// The demo's 3D view of DAR's decoupled spaces: two panels side by side (common | specific), each a scatter plot of
// the points DecoupledSpaces computes (./spaces.ts), drawn by a render pipeline on the engine's own device
// (./points.wgsl). The camera orbits when the user drags a panel; wgpu-matrix builds the view and projection
// matrices. Points are coloured by modality or by the sample's sentiment label.
//
// Why the picture is read back into a 2D canvas instead of presented by a 'webgpu' canvas context: headless Chromium
// on SwiftShader (where the tests run) loses the device on the first render pass into a canvas texture ("A valid
// external Instance reference no longer exists"), and the engine's model lives on that device. A 380×320 frame is
// 0.5 MB to read back, a few milliseconds: nothing next to computing the features it shows.

import { mat4 } from 'wgpu-matrix';
import { runtime } from '../../engine/engine';
import { PALETTE } from '../report/svg';
import { el } from './dom';
import { SPACES, type SpaceName, type SpacePoints } from './spaces';
import pointsWgsl from './points.wgsl';

export type ColourBy = 'modality' | 'sentiment';

const MODALITY_NAMES = ['text', 'vision', 'audio']; // the rows' order (DAR's l, v, a)
const WIDTH = 380;
const HEIGHT = 320;
const BACKGROUND = { r: 0.97, g: 0.97, b: 0.96, a: 1 };

const hex = (c: string) => [1, 3, 5].map((i) => parseInt(c.slice(i, i + 2), 16) / 255);
const MODALITY_RGB = [PALETTE[0], PALETTE[1], PALETTE[2]].map(hex);
/** Sentiment −3 … 3 on a diverging scale: orange (negative) through grey to blue (positive). */
function sentimentRgb(y: number): number[] {
  const t = Math.max(-1, Math.min(1, y / 3));
  const [neg, mid, pos] = [hex(PALETTE[1]), [0.75, 0.75, 0.75], hex(PALETTE[0])];
  const [a, b, u] = t < 0 ? [mid, neg, -t] : [mid, pos, t];
  return a.map((v, i) => v + (b[i] - v) * u);
}

/** Bytes per row of the read-back copy: WebGPU wants a multiple of 256. */
const ROW_BYTES = Math.ceil((WIDTH * 4) / 256) * 256;

/** One panel: its 2D canvas, its GPU targets and buffers, and its own camera angles. */
interface Panel {
  canvas: HTMLCanvasElement;
  uniform: GPUBuffer;
  bindGroup: GPUBindGroup;
  points: GPUBuffer | null;
  count: number;
  color: GPUTexture;
  depth: GPUTexture;
  readback: GPUBuffer;
  /** A frame is being drawn (its read-back buffer is mapped or pending); `again` asks for one more after it. */
  drawing: Promise<void> | null;
  again: boolean;
  yaw: number;
  pitch: number;
}

export class SpaceView {
  /** The element to insert into the page: the two canvases with their captions. */
  readonly element: HTMLElement;
  private readonly device: GPUDevice;
  private readonly pipeline: GPURenderPipeline;
  private readonly panels: Record<SpaceName, Panel>;
  private last: SpacePoints | null = null;
  private labels: Float32Array = new Float32Array(0);
  private colourBy: ColourBy = 'modality';

  constructor() {
    this.device = runtime().device;
    const format: GPUTextureFormat = 'rgba8unorm'; // ImageData's byte order
    const module = this.device.createShaderModule({ label: 'demo points.wgsl', code: pointsWgsl });
    this.pipeline = this.device.createRenderPipeline({
      label: 'demo points',
      layout: 'auto',
      vertex: {
        module,
        entryPoint: 'vs',
        buffers: [
          {
            arrayStride: 24,
            stepMode: 'instance',
            attributes: [
              { shaderLocation: 0, offset: 0, format: 'float32x3' },
              { shaderLocation: 1, offset: 12, format: 'float32x3' },
            ],
          },
        ],
      },
      fragment: { module, entryPoint: 'fs', targets: [{ format }] },
      primitive: { topology: 'triangle-strip' },
      depthStencil: { format: 'depth24plus', depthWriteEnabled: true, depthCompare: 'less' },
    });
    const figures: HTMLElement[] = [];
    const panels = {} as Record<SpaceName, Panel>;
    for (const s of SPACES) {
      const canvas = el('canvas', { id: `space-${s}`, width: String(WIDTH), height: String(HEIGHT) });
      canvas.style.cssText = 'border:1px solid #ddd;cursor:grab;touch-action:none';
      const uniform = this.device.createBuffer({ size: 80, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
      const bindGroup = this.device.createBindGroup({
        layout: this.pipeline.getBindGroupLayout(0),
        entries: [{ binding: 0, resource: { buffer: uniform } }],
      });
      const target = (f: GPUTextureFormat, usage: number) =>
        this.device.createTexture({
          size: [WIDTH, HEIGHT],
          format: f,
          usage: GPUTextureUsage.RENDER_ATTACHMENT | usage,
        });
      panels[s] = {
        canvas,
        uniform,
        bindGroup,
        points: null,
        count: 0,
        color: target(format, GPUTextureUsage.COPY_SRC),
        depth: target('depth24plus', 0),
        readback: this.device.createBuffer({
          size: ROW_BYTES * HEIGHT,
          usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ,
        }),
        drawing: null,
        again: false,
        yaw: 0.6,
        pitch: 0.35,
      };
      this.orbitOnDrag(panels[s]);
      figures.push(el('figure', { style: 'margin:0' }, canvas, el('figcaption', { id: `space-${s}-caption` }, s)));
    }
    this.panels = panels;
    this.element = el('div', { class: 'row', id: 'spaces' }, ...figures);
  }

  /** Sentiment labels of the drawn samples (for colouring by sentiment). */
  setLabels(labels: Float32Array): void {
    this.labels = labels;
  }

  async setColourBy(by: ColourBy): Promise<void> {
    this.colourBy = by;
    if (this.last) await this.show(this.last);
  }

  /** Uploads both spaces' points and draws them (resolves once both are on screen); captions name the rate. */
  async show(p: SpacePoints, captions?: Record<SpaceName, string>): Promise<void> {
    this.last = p;
    for (const s of SPACES) {
      const panel = this.panels[s];
      const xyz = p.coords[s];
      const n = xyz.length / 3;
      const S = n / 3; // samples per modality
      const data = new Float32Array(n * 6);
      for (let i = 0; i < n; i++) {
        const rgb = this.colourBy === 'modality' ? MODALITY_RGB[Math.floor(i / S)] : sentimentRgb(this.labels[i % S]);
        data.set([xyz[3 * i], xyz[3 * i + 1], xyz[3 * i + 2], ...rgb], 6 * i);
      }
      if (!panel.points || panel.points.size < data.byteLength) {
        panel.points?.destroy();
        panel.points = this.device.createBuffer({
          size: data.byteLength,
          usage: GPUBufferUsage.VERTEX | GPUBufferUsage.COPY_DST,
        });
      }
      this.device.queue.writeBuffer(panel.points, 0, data);
      panel.count = n;
      if (captions) panel.canvas.nextElementSibling!.textContent = captions[s];
    }
    await Promise.all(SPACES.map((s) => this.draw(this.panels[s])));
  }

  /** The legend of the current colouring, as text (the page shows it under the canvases). */
  legend(): string {
    return this.colourBy === 'modality'
      ? `colour: modality (${MODALITY_NAMES.map((m, i) => `${m} ${PALETTE[i]}`).join(', ')})`
      : `colour: sentiment label (−3 ${PALETTE[1]} … 0 grey … +3 ${PALETTE[0]})`;
  }

  /** Draws the panel's frame; while one is being drawn, asks for one more after it (drags coalesce). */
  private draw(panel: Panel): Promise<void> {
    if (panel.drawing) {
      panel.again = true;
      return panel.drawing;
    }
    panel.drawing = (async () => {
      do {
        panel.again = false;
        await this.frame(panel);
      } while (panel.again);
    })().finally(() => (panel.drawing = null));
    return panel.drawing;
  }

  /** One frame: render the points into the panel's texture, copy it out, and put it on the 2D canvas. */
  private async frame(panel: Panel): Promise<void> {
    const eye = [
      3.2 * Math.cos(panel.pitch) * Math.sin(panel.yaw),
      3.2 * Math.sin(panel.pitch),
      3.2 * Math.cos(panel.pitch) * Math.cos(panel.yaw),
    ];
    const proj = mat4.perspective(Math.PI / 4, WIDTH / HEIGHT, 0.1, 20);
    const viewProj = mat4.multiply(proj, mat4.lookAt(eye, [0, 0, 0], [0, 1, 0]));
    const u = new Float32Array(20);
    u.set(viewProj, 0);
    u.set([WIDTH, HEIGHT, 3.5, 0], 16);
    this.device.queue.writeBuffer(panel.uniform, 0, u);
    const encoder = this.device.createCommandEncoder({ label: 'demo points' });
    const pass = encoder.beginRenderPass({
      colorAttachments: [
        {
          view: panel.color.createView(),
          clearValue: BACKGROUND,
          loadOp: 'clear',
          storeOp: 'store',
        },
      ],
      depthStencilAttachment: {
        view: panel.depth.createView(),
        depthClearValue: 1,
        depthLoadOp: 'clear',
        depthStoreOp: 'discard',
      },
    });
    if (panel.points && panel.count > 0) {
      pass.setPipeline(this.pipeline);
      pass.setBindGroup(0, panel.bindGroup);
      pass.setVertexBuffer(0, panel.points);
      pass.draw(4, panel.count);
    }
    pass.end();
    encoder.copyTextureToBuffer({ texture: panel.color }, { buffer: panel.readback, bytesPerRow: ROW_BYTES }, [
      WIDTH,
      HEIGHT,
    ]);
    this.device.queue.submit([encoder.finish()]);
    await panel.readback.mapAsync(GPUMapMode.READ);
    const rows = new Uint8Array(panel.readback.getMappedRange());
    const image = new ImageData(WIDTH, HEIGHT);
    for (let y = 0; y < HEIGHT; y++)
      image.data.set(rows.subarray(y * ROW_BYTES, y * ROW_BYTES + WIDTH * 4), y * WIDTH * 4);
    panel.readback.unmap();
    panel.canvas.getContext('2d')!.putImageData(image, 0, 0);
  }

  /** Dragging a canvas turns its camera around the origin (yaw with x, pitch with y, pitch kept off the poles). */
  private orbitOnDrag(panel: Panel): void {
    let from: { x: number; y: number } | null = null;
    panel.canvas.addEventListener('pointerdown', (e) => {
      from = { x: e.clientX, y: e.clientY };
      panel.canvas.setPointerCapture(e.pointerId);
    });
    panel.canvas.addEventListener('pointermove', (e) => {
      if (!from) return;
      panel.yaw -= (e.clientX - from.x) * 0.01;
      panel.pitch = Math.max(-1.4, Math.min(1.4, panel.pitch + (e.clientY - from.y) * 0.01));
      from = { x: e.clientX, y: e.clientY };
      void this.draw(panel);
    });
    panel.canvas.addEventListener('pointerup', () => (from = null));
  }

  dispose(): void {
    for (const s of SPACES) {
      const p = this.panels[s];
      p.points?.destroy();
      p.uniform.destroy();
      p.color.destroy();
      p.depth.destroy();
      p.readback.destroy();
    }
  }
}
