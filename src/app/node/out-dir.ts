// Making `npm start`'s output directory, failing fast and clearly. fs.mkdirSync(dir, { recursive: true }) spins at
// 100 % CPU forever under /proc (procfs answers mkdir with ENOENT although the parent exists, and Node's recursive
// mkdir keeps retrying), so kernel pseudo file systems are refused up front, the directories are made one level at a
// time, and a probe file proves the directory takes files before any browser is launched.

import fs from 'node:fs';
import path from 'node:path';

/** Where the kernel's pseudo file systems live: nothing written there is a file anyone can read back later. */
const PSEUDO_ROOTS = ['/proc', '/sys', '/dev'];

/** statfs magic numbers of pseudo file systems, for when one is mounted somewhere else (linux/magic.h). */
const PSEUDO_FS: Record<number, string> = {
  0x9fa0: 'procfs',
  0x62656572: 'sysfs',
  0x1cd1: 'devpts',
  0x64626720: 'debugfs',
  0x74726163: 'tracefs',
  0x73636673: 'securityfs',
  0x27e0eb: 'cgroup',
  0x63677270: 'cgroup2',
};

export class OutDirError extends Error {
  override name = 'OutDirError';
  constructor(
    readonly dir: string,
    readonly reason: string,
  ) {
    super(`${dir}: ${reason}`);
  }
}

const code = (e: unknown) => (e as NodeJS.ErrnoException).code ?? (e as Error).message;

/** The deepest ancestor of `abs` that exists (or `abs` itself), and the names to create below it. */
function nearestExisting(abs: string): { existing: string; missing: string[] } {
  const missing: string[] = [];
  let at = abs;
  for (;;) {
    try {
      fs.statSync(at);
      return { existing: at, missing };
    } catch (e) {
      const parent = path.dirname(at);
      if (parent === at) throw e; // even the root is unreadable
      missing.unshift(path.basename(at));
      at = parent;
    }
  }
}

/** Throws when `real` (a path with symlinks resolved) is on a pseudo file system. */
function refusePseudo(dir: string, real: string, existing: string): void {
  const root = PSEUDO_ROOTS.find((r) => real === r || real.startsWith(`${r}/`));
  if (root)
    throw new OutDirError(
      dir,
      `${real} is under ${root}, a kernel pseudo file system where files cannot be kept: choose another directory`,
    );
  let type: number | undefined;
  try {
    type = fs.statfsSync(existing).type;
  } catch {
    return; // no statfs here: the mkdir and the probe below still catch it
  }
  const name = PSEUDO_FS[type];
  if (name)
    throw new OutDirError(
      dir,
      `${existing} is on ${name}, a kernel pseudo file system where files cannot be kept: choose another directory`,
    );
}

/** Creates `dir` (and its parents) for output files, or throws OutDirError saying why it cannot; returns its absolute path. */
export function prepareOutDir(dir: string): string {
  const abs = path.resolve(dir);
  const { existing, missing } = nearestExisting(abs);
  const real = fs.realpathSync(existing);
  refusePseudo(dir, path.join(real, ...missing), real);
  if (!fs.statSync(existing).isDirectory()) throw new OutDirError(dir, `${existing} exists and is not a directory`);
  let at = real;
  for (const name of missing) {
    at = path.join(at, name);
    try {
      fs.mkdirSync(at);
    } catch (e) {
      throw new OutDirError(dir, `cannot create ${at} (${code(e)})`);
    }
  }
  const probe = path.join(at, `.webgrad-write-test-${process.pid}`);
  try {
    fs.writeFileSync(probe, '');
    fs.rmSync(probe);
  } catch (e) {
    throw new OutDirError(dir, `cannot write files in ${at} (${code(e)})`);
  }
  return abs;
}
