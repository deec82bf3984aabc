import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';

/**
 * Writes `chunks` to `path` so that readers see either the old file or the complete new one:
 * the bytes go to a temporary file in the same folder (same filesystem, so rename is atomic),
 * are flushed to disk, and only then renamed over `path`.
 */
export function writeFileAtomic(path: string, chunks: readonly Uint8Array[] | string): void {
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const fd = openSync(temporary, 'wx');
  let renamed = false;
  try {
    try {
      const parts = typeof chunks === 'string' ? [Buffer.from(chunks, 'utf8')] : chunks;
      for (const chunk of parts) {
        let written = 0;
        while (written < chunk.byteLength) written += writeSync(fd, chunk, written, chunk.byteLength - written);
      }
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, path);
    renamed = true;
  } finally {
    if (!renamed) rmSync(temporary, { force: true });
  }
}
