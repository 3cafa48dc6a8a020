// Writing a file so that it is never seen half-written (Node only; imported by CLI code, never by the browser
// bundle). The bytes go to a temporary file beside the target, are flushed to disk, and the temporary file is renamed
// over the target: rename within one directory is atomic on POSIX file systems, so a reader (or a resume after a
// crash) sees either the old file or the new one, whole. A failure before the rename leaves the old file untouched and
// removes the temporary one; a crash leaves at most a stray `<path>.tmp-<pid>-<start>-<random>` file, named after the
// writing process (its pid and start time), so that removeStaleTemps can prove later that its writer is gone.

import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';

/** The file operations writeFileAtomic uses; replaceable in tests to inject failures. */
export interface AtomicFs {
  open(
    file: string,
    flags: string,
    mode?: number,
  ): Promise<{
    write(buf: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesWritten: number }>;
    sync(): Promise<void>;
    close(): Promise<void>;
  }>;
  rename(from: string, to: string): Promise<void>;
  unlink(file: string): Promise<void>;
}

export interface AtomicOptions {
  /** Bytes per write call (default 8 MiB). */
  chunkBytes?: number;
  /** Also fsync the directory after the rename, so the rename itself survives a power cut (default true). */
  syncDir?: boolean;
  /** File operations (default node:fs/promises). */
  fs?: AtomicFs;
}

/** When this process started (ms since the epoch): with the pid, it names the writer of a temporary file. */
const PROCESS_START = Math.round(performance.timeOrigin);

/** Writes `bytes` to `file` atomically: temporary file, fsync, rename over the target. */
export async function writeFileAtomic(file: string, bytes: Uint8Array, opts: AtomicOptions = {}): Promise<void> {
  const fs: AtomicFs = opts.fs ?? (fsp as unknown as AtomicFs);
  const chunk = opts.chunkBytes ?? 8 << 20;
  const tmp = `${file}.tmp-${process.pid}-${PROCESS_START}-${randomBytes(6).toString('hex')}`;
  const handle = await fs.open(tmp, 'wx', 0o644); // 'x': never reuse (and truncate) someone else's temp file
  try {
    try {
      for (let at = 0; at < bytes.length;) {
        const { bytesWritten } = await handle.write(bytes, at, Math.min(chunk, bytes.length - at), at);
        if (bytesWritten <= 0) throw new Error(`writeFileAtomic: write to ${tmp} made no progress`);
        at += bytesWritten;
      }
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(tmp, file);
  } catch (e) {
    await fs.unlink(tmp).catch(() => undefined);
    throw e;
  }
  if (opts.syncDir ?? true) {
    // Best effort: some platforms cannot open or fsync a directory.
    try {
      const dir = await fsp.open(path.dirname(file), 'r');
      try {
        await dir.sync();
      } finally {
        await dir.close();
      }
    } catch {
      /* not supported here */
    }
  }
}

/** True if a process with this pid exists (signal 0 checks without sending anything). */
function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // exists, but belongs to someone else
  }
}

/**
 * Removes the temporary files that killed writeFileAtomic calls left in `dir`: `<target>.tmp-<pid>-...` where `target`
 * is one of the caller's file names (isTarget) and the writer is provably gone: its pid is not alive, or it is this
 * process's pid (this run's own earlier attempt, or an earlier process whose pid was reused). Call it before writing
 * any of those targets. Files of a live other process, of other targets, or not named like this are left alone.
 * Returns the names removed.
 */
export async function removeStaleTemps(dir: string, isTarget: (name: string) => boolean): Promise<string[]> {
  const removed: string[] = [];
  for (const name of await fsp.readdir(dir)) {
    const m = /^(.+)\.tmp-(\d+)-[0-9a-f-]+$/.exec(name);
    if (!m || !isTarget(m[1])) continue;
    const pid = Number(m[2]);
    if (pid !== process.pid && (pid <= 0 || pidAlive(pid))) continue;
    const file = path.join(dir, name);
    if (!(await fsp.lstat(file).catch(() => null))?.isFile()) continue;
    await fsp.unlink(file).catch(() => undefined); // another run may have removed it first
    removed.push(name);
  }
  return removed;
}
