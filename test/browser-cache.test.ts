// Finding a browser in puppeteer's cache (what `npx @puppeteer/browsers install chrome@stable` fills), now that the
// package drives Chrome with puppeteer-core, which has no cache lookup of its own.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cachedChrome } from '../src/app/node/browser';

let dir = '';
afterEach(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe("puppeteer's browser cache", () => {
  it('finds an installed Chrome by its build folder', () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'webgrad-pptr-cache-'));
    const exe = path.join(dir, 'chrome', 'linux-131.0.6778.85', 'chrome-linux64', 'chrome');
    fs.mkdirSync(path.dirname(exe), { recursive: true });
    fs.writeFileSync(exe, '');
    expect(cachedChrome(dir)).toBe(exe);
  });

  it('is no browser when the cache is empty, missing, or lists a build whose executable is gone', () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'webgrad-pptr-cache-'));
    expect(cachedChrome(dir)).toBeNull();
    expect(cachedChrome(path.join(dir, 'nothing-here'))).toBeNull();
    fs.mkdirSync(path.join(dir, 'chrome', 'linux-131.0.6778.85'), { recursive: true });
    expect(cachedChrome(dir)).toBeNull();
  });
});
