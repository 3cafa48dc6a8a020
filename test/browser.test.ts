// The browser launcher's housekeeping (Node only): finding Chrome, flags, and cleaning up after killed runs.

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BrowserNotFoundError, chromeArgs, cleanStaleBrowsers, findChrome } from '../src/app/node/browser';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('browser launcher', () => {
  it('always enables WebGPU', () => {
    expect(chromeArgs()).toContain('--enable-unsafe-webgpu');
  });

  it('honours $WEBGRAD_CHROME and says what to do when it points nowhere', () => {
    const saved = process.env.WEBGRAD_CHROME;
    try {
      process.env.WEBGRAD_CHROME = '/nonexistent/chrome';
      expect(() => findChrome()).toThrow(BrowserNotFoundError);
      expect(() => findChrome()).toThrow(/WEBGRAD_CHROME/);
      process.env.WEBGRAD_CHROME = process.execPath; // any existing file is taken as given
      expect(findChrome()).toBe(process.execPath);
    } finally {
      if (saved === undefined) delete process.env.WEBGRAD_CHROME;
      else process.env.WEBGRAD_CHROME = saved;
    }
  });

  it('kills a browser orphaned by a dead run, and leaves a live run alone', async () => {
    // Stand-ins: a long sleep whose command line names its "profile", registered to a dead owner and a live one.
    const registry = path.join(os.tmpdir(), 'webgrad-browsers');
    fs.mkdirSync(registry, { recursive: true });
    const deadOwner = spawnSync(process.execPath, ['-e', '0']).pid!;
    const mk = (tag: string, owner: number) => {
      const profile = fs.mkdtempSync(path.join(os.tmpdir(), `webgrad-chrome-test-${tag}-`));
      const child = spawn('sh', ['-c', `sleep 300; echo ${profile}`], { detached: true, stdio: 'ignore' });
      const rec = path.join(registry, `test-${tag}-${child.pid}.json`);
      fs.writeFileSync(rec, JSON.stringify({ browserPid: child.pid, ownerPid: owner, profile }));
      return { child, profile, rec };
    };
    const orphan = mk('orphan', deadOwner);
    const owned = mk('owned', process.pid);
    try {
      await new Promise((r) => setTimeout(r, 100));
      const log: string[] = [];
      cleanStaleBrowsers((s) => log.push(s));
      await new Promise((r) => setTimeout(r, 200));
      expect(alive(orphan.child.pid!)).toBe(false);
      expect(fs.existsSync(orphan.profile)).toBe(false);
      expect(fs.existsSync(orphan.rec)).toBe(false);
      expect(log.join('\n')).toContain(`killed stale chromium ${orphan.child.pid}`);
      expect(alive(owned.child.pid!)).toBe(true);
      expect(fs.existsSync(owned.rec)).toBe(true);
    } finally {
      for (const s of [orphan, owned]) {
        try {
          process.kill(s.child.pid!, 'SIGKILL');
        } catch {
          // already gone
        }
        fs.rmSync(s.profile, { recursive: true, force: true });
        fs.rmSync(s.rec, { force: true });
      }
    }
  });
});
