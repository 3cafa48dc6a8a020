// On Linux Dawn reaches the GPU through Vulkan: the loader (libvulkan.so.1) and a driver (an "ICD", described by a
// JSON manifest). Without a GPU the driver can be SwiftShader, a CPU-emulated Vulkan that Chrome and Chromium ship
// beside their binary. Mesa's lavapipe, the software driver most distributions install, is not usable: Dawn rejects
// it (it lacks dynamic indexing of uniform arrays).
//
// The loader reads VK_ICD_FILENAMES when Dawn creates its instance, so the choice is made before that, and a user's
// own VK_ICD_FILENAMES / VK_DRIVER_FILES is left alone.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WebgradError } from '../engine/errors';

const ICD_NAME = 'vk_swiftshader_icd.json';

/** Where browsers put their SwiftShader ICD (distribution packages, Google Chrome, snap). */
const SWIFTSHADER_DIRS = [
  '/usr/lib/chromium',
  '/usr/lib/chromium-browser',
  '/usr/lib64/chromium-browser',
  '/usr/lib64/chromium',
  '/opt/google/chrome',
  '/opt/google/chrome-beta',
  '/opt/chromium.org/chromium',
  '/snap/chromium/current/usr/lib/chromium-browser',
];

/** Browsers downloaded by puppeteer / playwright keep theirs one or two folders down in these caches. */
const BROWSER_CACHES = [path.join(os.homedir(), '.cache/puppeteer'), path.join(os.homedir(), '.cache/ms-playwright')];

/** The first SwiftShader ICD manifest found in the usual places, or null. */
export function findSwiftShaderIcd(): string | null {
  for (const dir of SWIFTSHADER_DIRS) {
    const f = path.join(dir, ICD_NAME);
    if (fs.existsSync(f)) return f;
  }
  for (const cache of BROWSER_CACHES) {
    const found = findBelow(cache, 4);
    if (found) return found;
  }
  return null;
}

function findBelow(dir: string, depth: number): string | null {
  if (depth < 0 || !fs.existsSync(dir)) return null;
  const f = path.join(dir, ICD_NAME);
  if (fs.existsSync(f)) return f;
  for (const e of safeReaddir(dir)) {
    const found = e.isDirectory() ? findBelow(path.join(dir, e.name), depth - 1) : null;
    if (found) return found;
  }
  return null;
}

function safeReaddir(dir: string): fs.Dirent[] {
  try {
    return fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
}

/** The Vulkan drivers installed system-wide (the loader's search folders), lavapipe left out since Dawn rejects it. */
export function systemIcds(): string[] {
  const dataDirs = (process.env.XDG_DATA_DIRS || '/usr/local/share:/usr/share').split(':');
  const configDirs = (process.env.XDG_CONFIG_DIRS || '/etc/xdg').split(':');
  const dirs = [...configDirs, '/etc', ...dataDirs, path.join(os.homedir(), '.local/share')].map((d) =>
    path.join(d, 'vulkan/icd.d'),
  );
  return dirs.flatMap((d) =>
    safeReaddir(d)
      .filter((e) => e.name.endsWith('.json') && !e.name.startsWith('lvp_'))
      .map((e) => path.join(d, e.name)),
  );
}

/** True when the user chose the Vulkan drivers themselves. */
export const userChoseIcd = (): boolean => Boolean(process.env.VK_ICD_FILENAMES || process.env.VK_DRIVER_FILES);

/** Makes the Vulkan loader use this driver manifest (read when Dawn creates its instance). */
export function useIcd(icd: string): void {
  process.env.VK_ICD_FILENAMES = icd;
}

// RTLD_NODELETE (glibc): a library loaded with it stays loaded after dlclose.
const RTLD_NODELETE = 0x1000;

/**
 * Makes sure the Vulkan loader can be found when Dawn opens `libvulkan.so.1`. A system-wide one is used as is;
 * otherwise the copy Chrome/Chromium ships beside the ICD is loaded into the process first: Dawn's later dlopen of
 * the same soname then finds it already loaded. (LD_LIBRARY_PATH cannot help: it is read once, at process start.)
 * Node's process.dlopen loads the file, then refuses it as not an addon and closes it; RTLD_NODELETE keeps it loaded.
 */
export function ensureVulkanLoader(besideIcds: readonly (string | null | undefined)[]): void {
  if (process.platform !== 'linux') return;
  if (tryLoad('libvulkan.so.1')) return;
  for (const icd of besideIcds) {
    const beside = icd ? path.join(path.dirname(icd), 'libvulkan.so.1') : null;
    if (beside && fs.existsSync(beside) && tryLoad(beside)) return;
  }
  throw new WebgradError(
    'init',
    'no Vulkan loader (libvulkan.so.1), which Dawn needs on Linux: install it ' +
      '(Debian/Ubuntu: apt-get install libvulkan1; Fedora: dnf install vulkan-loader; Arch: pacman -S vulkan-icd-loader)',
  );
}

/** Loads a shared library into the process for good; false when it cannot be opened. */
function tryLoad(file: string): boolean {
  const dl = os.constants.dlopen as Record<string, number>;
  try {
    process.dlopen({ exports: {} }, file, dl.RTLD_NOW | dl.RTLD_GLOBAL | RTLD_NODELETE);
    return true; // not reached: a Vulkan loader is not a Node addon
  } catch (e) {
    // "Module did not self-register" / "…napi_register_module…": opened fine, just not an addon.
    return !/cannot open shared object|No such file/i.test(String((e as Error).message));
  }
}
