// The demo page and a lost GPU device (GPUDevice.lost resolves: a driver reset, the GPU process crashing, the device
// destroyed). Everything on the device is gone, so the page should say that plainly and offer a new device, rather
// than let the next readback fail with an opaque error. This watches the raw `lost` promise of the device the page
// uses; an error that arrives while the device is being lost is reported as the loss.

let current: GPUDevice | null = null;
let lostInfo: GPUDeviceLostInfo | null = null;
let waiters: ((info: GPUDeviceLostInfo) => void)[] = [];

/** Watches `device` (the one the page now uses) and calls `onLost` once if it is lost; a replaced device is ignored. */
export function watchDevice(device: GPUDevice, onLost: (info: GPUDeviceLostInfo) => void): void {
  current = device;
  lostInfo = null;
  void device.lost.then((info) => {
    if (device !== current) return;
    lostInfo = info;
    for (const w of waiters.splice(0)) w(info);
    onLost(info);
  });
}

/** The loss of the watched device, if it has been lost. */
export function deviceLost(): GPUDeviceLostInfo | null {
  return lostInfo;
}

/**
 * The loss of the watched device if it is lost now or within `ms`: a failed readback often arrives just before the
 * `lost` promise resolves, and is then the loss rather than an error of its own.
 */
export function lostWithin(ms: number): Promise<GPUDeviceLostInfo | null> {
  if (lostInfo || !current) return Promise.resolve(lostInfo);
  return new Promise((resolve) => {
    const done = (info: GPUDeviceLostInfo | null) => {
      waiters = waiters.filter((w) => w !== done);
      resolve(info);
    };
    waiters.push(done);
    setTimeout(() => done(null), ms);
  });
}

/** What the page shows once the device is lost. */
export function lostMessage(info: GPUDeviceLostInfo): string {
  const why = info.reason === 'destroyed' ? 'it was destroyed' : 'the GPU or its driver reset it';
  return (
    `The GPU device was lost (${why}${info.message ? `: ${info.message}` : ''}). Everything on it is gone, ` +
    'the current model included. Press "Start again" for a new device (the loaded data is kept).'
  );
}
