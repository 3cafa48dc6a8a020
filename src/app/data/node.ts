// Node-only convenience (NOT re-exported from src/index.ts, which must stay browser-safe): read an MMSA pickle from a
// path. Import it as `../data/node` from Node programs such as the CLI.

import { readFile } from 'node:fs/promises';
import { readMmsaPickle, type MmsaDataset, type MmsaReadOptions } from './mmsa';
import { DataError } from './types';

/** Reads and validates an MMSA `unaligned_50.pkl` from disk; a missing or unreadable file is a DataError too. */
export async function readMmsaFile(path: string, opts: Omit<MmsaReadOptions, 'name'> = {}): Promise<MmsaDataset> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new DataError(
      path,
      code === 'ENOENT' ? 'no such file' : `cannot read the file (${code ?? (e as Error).message})`,
    );
  }
  return readMmsaPickle(bytes, { ...opts, name: path });
}
