// puppeteer, puppeteer-core and @puppeteer/browsers in the GPU payload (bench/gpu/pack.mjs): runs there are Node
// runs on Dawn (--runtime node), so nothing launches a browser; anything that tries fails saying so.
const none = () => {
  throw new Error('no browser in the GPU payload: run the bench with --runtime node');
};
export class Cache {
  getInstalledBrowsers() {
    return [];
  }
}
export default { launch: none, connect: none };
