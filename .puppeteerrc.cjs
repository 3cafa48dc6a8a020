// webgrad never lets puppeteer download a browser during `npm install`: the install must not hang or fail
// on machines without internet. At run time we look for a system Chrome/Chromium first (see test/browser.ts).
module.exports = { skipDownload: true };
