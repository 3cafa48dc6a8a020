// Finding and launching a Chrome/Chromium with WebGPU, for tests, benchmarks and `npm start`.
//
// We drive the browser with puppeteer-core, which never downloads one (so installing the package never does). We look
// for, in order:
//   1. $WEBGRAD_CHROME (or $PUPPETEER_EXECUTABLE_PATH, $CHROME_PATH),
//   2. a system Chrome/Chromium at the usual paths,
//   3. a browser previously installed into puppeteer's cache ($PUPPETEER_CACHE_DIR or ~/.cache/puppeteer, filled by
//      `npx @puppeteer/browsers install chrome@stable`),
// and otherwise fail with the one command to run.
//
// A run killed with SIGKILL leaves its Chromium orphaned. Every launch records {browser pid, profile dir, owner pid} in
// a registry file; the next launch kills browsers whose owner is gone and deletes their profiles. Concurrent runs
// (several test processes) leave each other alone because their owners are alive.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Cache } from '@puppeteer/browsers';
import puppeteer, { type Browser } from 'puppeteer-core';

const SYSTEM_PATHS = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
  '/opt/google/chrome/chrome',
  '/snap/bin/chromium',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
  '/Applications/Chromium.app/Contents/MacOS/Chromium',
  'C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe',
];

export class BrowserNotFoundError extends Error {
  override name = 'BrowserNotFoundError';
}

export function findChrome(): string {
  for (const v of ['WEBGRAD_CHROME', 'PUPPETEER_EXECUTABLE_PATH', 'CHROME_PATH']) {
    const p = process.env[v];
    if (p) {
      if (fs.existsSync(p)) return p;
      throw new BrowserNotFoundError(`$${v} is set to ${p}, which does not exist`);
    }
  }
  for (const p of SYSTEM_PATHS) if (fs.existsSync(p)) return p;
  const cached = cachedChrome();
  if (cached) return cached;
  const install =
    process.platform === 'linux' && fs.existsSync('/usr/bin/apt-get')
      ? 'sudo apt-get install -y chromium'
      : 'npx @puppeteer/browsers install chrome@stable --path ~/.cache/puppeteer';
  throw new BrowserNotFoundError(
    `No Chrome or Chromium found. Install one with:\n\n    ${install}\n\n` +
      'or point $WEBGRAD_CHROME at a Chrome/Chromium executable (WebGPU needs version 113 or newer).',
  );
}

/** The newest Chrome in puppeteer's cache, or null (an empty or unreadable cache is no browser). */
export function cachedChrome(
  dir = process.env['PUPPETEER_CACHE_DIR'] ?? path.join(os.homedir(), '.cache', 'puppeteer'),
): string | null {
  try {
    const found = new Cache(dir)
      .getInstalledBrowsers()
      .filter((b) => b.browser === 'chrome' || b.browser === 'chromium')
      .map((b) => b.executablePath)
      .filter((p) => fs.existsSync(p));
    return found.at(-1) ?? null;
  } catch {
    return null;
  }
}

/** True when the machine exposes a GPU render node (Linux) or is not Linux (Chrome then picks the platform GPU). */
export function hasHardwareGpu(): boolean {
  if (process.platform !== 'linux') return true;
  try {
    return fs.readdirSync('/dev/dri').some((f) => f.startsWith('renderD'));
  } catch {
    return false;
  }
}

/**
 * WebGPU in headless Chrome needs only --enable-unsafe-webgpu (on a page served from http://127.0.0.1). With a GPU,
 * Vulkan is asked for explicitly on Linux; without one Chrome falls back to SwiftShader, its CPU implementation.
 */
export function chromeArgs(extra: string[] = []): string[] {
  const args = [
    '--enable-unsafe-webgpu',
    '--no-first-run',
    '--disable-quic',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--disable-dev-shm-usage',
  ];
  if (process.platform === 'linux' && hasHardwareGpu()) args.push('--enable-features=Vulkan', '--use-angle=vulkan');
  // Root (CI containers) cannot use Chrome's sandbox.
  if (typeof process.getuid === 'function' && process.getuid() === 0) args.push('--no-sandbox');
  return [...args, ...extra];
}

const REGISTRY = path.join(os.tmpdir(), 'webgrad-browsers');

interface Record_ {
  browserPid: number;
  ownerPid: number;
  profile: string;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // raced with its exit
    }
  }
}

/** Kills browsers left behind by runs that died without closing them. */
export function cleanStaleBrowsers(log: (s: string) => void = () => {}): void {
  if (!fs.existsSync(REGISTRY)) return;
  for (const f of fs.readdirSync(REGISTRY)) {
    const file = path.join(REGISTRY, f);
    let rec: Record_;
    try {
      rec = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch {
      fs.rmSync(file, { force: true });
      continue;
    }
    if (alive(rec.ownerPid)) continue;
    let cmd = '';
    try {
      cmd = fs.readFileSync(`/proc/${rec.browserPid}/cmdline`, 'utf8');
    } catch {
      // already gone
    }
    // Only kill the pid if it is still that browser (pids get reused).
    if (cmd.includes(rec.profile) && alive(rec.browserPid)) {
      killGroup(rec.browserPid);
      log(`killed stale chromium ${rec.browserPid}`);
    }
    fs.rmSync(rec.profile, { recursive: true, force: true });
    fs.rmSync(file, { force: true });
  }
}

export interface LaunchedBrowser {
  browser: Browser;
  executablePath: string;
  args: string[];
  close(): Promise<void>;
  /** Kills the browser and its helper processes at once and removes its profile (a second Ctrl-C); synchronous. */
  kill(): void;
}

/**
 * `handleSIGINT: false` leaves Ctrl-C to the caller (npm start stops training cleanly first); by default puppeteer kills
 * the browser and exits on SIGINT.
 */
export async function launchBrowser(
  opts: {
    extraArgs?: string[];
    log?: (s: string) => void;
    handleSIGINT?: boolean;
    /** How long one DevTools call may take (default 10 minutes). */
    protocolTimeoutMs?: number;
  } = {},
): Promise<LaunchedBrowser> {
  cleanStaleBrowsers(opts.log);
  const executablePath = findChrome();
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'webgrad-chrome-'));
  const args = chromeArgs(opts.extraArgs);
  const browser = await puppeteer.launch({
    executablePath,
    headless: true,
    args,
    userDataDir: profile,
    // Chrome's singleton sockets go to $TMPDIR: keep them inside the profile so a killed run leaks nothing in /tmp.
    env: { ...process.env, TMPDIR: profile },
    protocolTimeout: opts.protocolTimeoutMs ?? 600_000,
    handleSIGINT: opts.handleSIGINT ?? true,
  });
  fs.mkdirSync(REGISTRY, { recursive: true });
  const recFile = path.join(REGISTRY, `${process.pid}-${path.basename(profile)}.json`);
  const rec: Record_ = { browserPid: browser.process()?.pid ?? -1, ownerPid: process.pid, profile };
  fs.writeFileSync(recFile, JSON.stringify(rec));
  return {
    browser,
    executablePath,
    args,
    async close() {
      await browser.close().catch(() => {});
      fs.rmSync(profile, { recursive: true, force: true });
      fs.rmSync(recFile, { force: true });
    },
    kill() {
      // The browser leads its own process group (puppeteer launches it detached): kill the group, helpers included.
      if (rec.browserPid > 0) killGroup(rec.browserPid);
      fs.rmSync(profile, { recursive: true, force: true });
      fs.rmSync(recFile, { force: true });
    },
  };
}
