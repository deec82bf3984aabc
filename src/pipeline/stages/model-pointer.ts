/**
 * Where a stage's model is: model.json, a pointer to a Hugging Face folder inside the stage folder
 * or elsewhere (a local folder, the hub cache), so a stage can name a model without copying it.
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { writeFileAtomic } from '../../io/atomic.js';
import { PipelineError } from '../errors.js';

export const MODEL_POINTER = 'model.json';

export interface ModelPointer {
  /** The Hugging Face folder: relative to the stage folder, or absolute (a local folder, the hub cache). */
  path: string;
  /** Where it came from: 'trained' (by this stage), a hub id, or a local folder. */
  source: string;
  /** The architecture, as config.json names it. */
  architecture?: string;
}

export function writeModelPointer(stageDir: string, pointer: ModelPointer): void {
  writeFileAtomic(join(stageDir, MODEL_POINTER), JSON.stringify(pointer, null, 2) + '\n');
}

/** The model folder a completed stage points to. */
export function modelFolderOf(stageDir: string): string {
  let pointer: ModelPointer;
  try {
    pointer = JSON.parse(readFileSync(join(stageDir, MODEL_POINTER), 'utf8')) as ModelPointer;
  } catch (error) {
    throw new PipelineError(`${join(stageDir, MODEL_POINTER)} cannot be read (${(error as Error).message}); run the stage that makes it again (--force)`);
  }
  return isAbsolute(pointer.path) ? pointer.path : resolve(stageDir, pointer.path);
}
