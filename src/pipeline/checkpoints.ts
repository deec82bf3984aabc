/**
 * Mid-stage checkpoints that survive a kill (`<run>/.checkpoints/<stage>/`, or `<out>.checkpoints`
 * for `irlens sft`). They are kept only for the fingerprint they were made under, recorded beside
 * them, so a resumed attempt never continues a training whose config or inputs have changed.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic.js';

export const CHECKPOINTS_DIR = '.checkpoints';
const CHECKPOINT_FINGERPRINT = '.fingerprint';

/**
 * Makes `checkpointDir` ready for an attempt with `fingerprint`: what an earlier attempt left there
 * is kept if made under the same fingerprint (and not `forced` afresh), and removed otherwise.
 * Returns whether there is something to resume from.
 */
export function openCheckpoints(checkpointDir: string, fingerprint: string, forced = false): boolean {
  const fingerprintFile = join(checkpointDir, CHECKPOINT_FINGERPRINT);
  let resumed = false;
  if (existsSync(checkpointDir)) {
    let previous: string | undefined;
    try {
      previous = readFileSync(fingerprintFile, 'utf8');
    } catch {
      previous = undefined;
    }
    if (previous === fingerprint && !forced) resumed = readdirSync(checkpointDir).some((entry) => entry !== CHECKPOINT_FINGERPRINT);
    else rmSync(checkpointDir, { recursive: true, force: true });
  }
  mkdirSync(checkpointDir, { recursive: true });
  writeFileAtomic(fingerprintFile, fingerprint);
  return resumed;
}

/** Removes checkpoints once what they were for is complete. */
export function removeCheckpoints(checkpointDir: string): void {
  rmSync(checkpointDir, { recursive: true, force: true });
}
