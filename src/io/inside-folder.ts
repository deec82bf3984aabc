/**
 * A model folder's files must come from inside it. A name read from a file (a weight_map shard)
 * or a fixed one (tokenizer.json, config.json) could otherwise lead anywhere on the disk, by `../`,
 * an absolute path or a symlink. Every loader resolves such names here, so the rule is one rule.
 */
import { realpathSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { OutsideFolderError } from './errors.js';

/** Who names a file: the file that lists it (or the folder, for a fixed name) and the entry that does. */
export interface FolderReference {
  file: string;
  entry: string;
}

/** Whether `path` is `folder` or lies under it; both absolute and normalised. */
function isWithin(folder: string, path: string): boolean {
  const rest = relative(folder, path);
  return rest === '' || (rest !== '..' && !rest.startsWith(`..${sep}`) && !isAbsolute(rest));
}

/** The real path, or null when it cannot be resolved (missing, a loop, too long): then it cannot be opened either, and the reader says why. */
function realpathOrNull(path: string): string | null {
  try {
    return realpathSync(path);
  } catch {
    return null;
  }
}

/**
 * Where a file of the folder may really be: the folder, and for a snapshot in the Hugging Face cache
 * (`<repo>/snapshots/<commit>`) also the repo's `blobs/`, which the snapshot's links point into.
 */
function allowedRoots(realFolder: string): string[] {
  const parent = dirname(realFolder);
  return basename(parent) === 'snapshots' ? [realFolder, join(dirname(parent), 'blobs')] : [realFolder];
}

/**
 * The path of `name` inside `folder`, refused with an OutsideFolderError naming `reference` when it
 * leads out of the folder: by `..`, as an absolute path, or through a symlink (followed to its end).
 * A name that does not resolve (a missing file, a link loop) is checked as written; reading it then fails.
 */
export function insideFolder(folder: string, name: string, reference: FolderReference): string {
  const lexicalFolder = resolve(folder);
  const path = resolve(lexicalFolder, name);
  if (!isWithin(lexicalFolder, path)) throw new OutsideFolderError(reference.file, reference.entry, name, folder);
  const real = realpathOrNull(path);
  if (real === null) return path;
  const realFolder = realpathOrNull(lexicalFolder) ?? lexicalFolder;
  if (!allowedRoots(realFolder).some((root) => isWithin(root, real))) throw new OutsideFolderError(reference.file, reference.entry, real, folder);
  return path;
}

/** A file with a fixed name in a model folder (config.json, tokenizer.json, ...), which must not lead out of it. */
export const modelFolderFile = (folder: string, name: string): string => insideFolder(folder, name, { file: folder, entry: name });
