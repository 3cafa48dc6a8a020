// The demo page's "Decoupled spaces in 3D" section: owns the fitted spaces (./spaces.ts) of the current model and
// dataset and the two-canvas view (./space-view.ts), and redraws them at the probe's missing rate. main.ts calls
// update() wherever it redraws the probe and reset() whenever the model, the dataset or the device changes.
//
// For tests: `#spaces-status` has data-rate (the rate last drawn) once the points are on the canvases.

import type { Dataset } from '../data/types';
import type { SentimentModel } from '../models/types';
import { $, el, errorText, field, setStatus } from './dom';
import { SpaceView, type ColourBy } from './space-view';
import { DecoupledSpaces, SPACES } from './spaces';
import type { ProbeMasks } from './session';

export class SpacesPanel {
  private spaces: { model: SentimentModel; dataset: Dataset; value: DecoupledSpaces } | null = null;
  private view: SpaceView | null = null;

  /** The section's DOM (built once, with the page). */
  section(): HTMLElement {
    const colour = el('select', { id: 'space-colour' });
    for (const [v, t] of [
      ['modality', 'modality'],
      ['sentiment', 'sentiment label'],
    ])
      colour.append(el('option', { value: v }, t));
    colour.addEventListener('change', () => {
      if (!this.view) return;
      const view = this.view;
      void view.setColourBy(colour.value as ColourBy).then(() => {
        $('space-legend').textContent = view.legend();
      });
    });
    return el(
      'section',
      {},
      el(
        'p',
        { class: 'note' },
        'Common and specific features of DAR (its encoders’ outputs, averaged over time) for test samples, projected ' +
          'on 3 principal components computed on the GPU from the complete inputs. The missing-rate slider above ' +
          'drops inputs and the points move; drag a view to turn it.',
      ),
      el('div', { class: 'row' }, field('colour by', colour)),
      el('div', { id: 'spaces-host' }),
      el('div', { id: 'space-legend', class: 'note' }),
      el('div', { id: 'spaces-status', class: 'status' }, 'Train or load a DAR model to see its spaces.'),
    );
  }

  /** Draws the spaces of `model` on `dataset` at `rate`, fitting the components first if the model or data changed. */
  async update(model: SentimentModel, dataset: Dataset, masks: ProbeMasks, rate: number): Promise<void> {
    const status = $('spaces-status');
    if (!DecoupledSpaces.supports(model)) {
      this.reset();
      setStatus('spaces-status', `The ${model.kind} model has no decoupled spaces to draw (DAR has).`);
      return;
    }
    try {
      if (!this.spaces || this.spaces.model !== model || this.spaces.dataset !== dataset) {
        this.reset();
        setStatus('spaces-status', 'fitting principal components of the common and specific spaces on the GPU…');
        this.spaces = { model, dataset, value: await DecoupledSpaces.fit(model, dataset, masks) };
      }
      const s = this.spaces.value;
      if (!this.view) {
        this.view = new SpaceView();
        $('spaces-host').replaceChildren(this.view.element);
        await this.view.setColourBy(($('space-colour') as HTMLSelectElement).value as ColourBy);
      }
      this.view.setLabels(s.labels);
      const points = await s.at(rate);
      const fmt = (v: number[]) => v.map((x) => x.toFixed(3)).join(', ');
      const captions = Object.fromEntries(
        SPACES.map((name) => [name, `${name} (PC variances ${fmt(s.variances(name))}) at rate ${rate.toFixed(2)}`]),
      ) as Record<(typeof SPACES)[number], string>;
      await this.view.show(points, captions);
      $('space-legend').textContent = this.view.legend();
      setStatus('spaces-status', `${s.indices.length} test samples × 3 modalities, every modality missing at ${rate}`);
      status.dataset.rate = String(rate);
    } catch (e) {
      setStatus('spaces-status', errorText(e), 'error');
    }
  }

  /** Forgets the fitted spaces and the canvases (a new model, dataset or device). */
  reset(): void {
    try {
      this.spaces?.value.dispose();
      this.view?.dispose();
    } catch {
      // After a device loss the buffers are gone already; there is nothing left to free.
    }
    this.spaces = null;
    this.view = null;
    $('spaces-host')?.replaceChildren();
    delete $('spaces-status')?.dataset.rate;
  }
}
