/**
 * Data set ids → files in the cache. `resolveDataset('jaredjoss/jigsaw-long-2000', isDataFile)`
 * downloads the files of a hub data set repo that `isDataFile` accepts — wherever they are in the
 * repo, e.g. data/train-00000-of-00001.parquet — into `datasets--owner--name` in the cache that
 * huggingface_hub shares with the datasets library, and returns them. Which files hold data is
 * the caller's to say (src/data knows the formats); this layer only moves them.
 */
import { join } from 'node:path';
import { filesUnder } from './hub-cache.js';
import { HubRepoContentError } from './hub-errors.js';
import { resolveSnapshot, type HubOptions, type ResolvedSnapshot, type SnapshotRecipe } from './hub-snapshot.js';

export interface ResolvedDataset extends ResolvedSnapshot {
  /** The data files, absolute, in the order of their repo paths. */
  files: string[];
  /** The same files as paths in the repo (`data/train-00000-of-00001.parquet`). */
  repoFiles: string[];
}

/**
 * The recipe for a data set: fetch every file `isDataFile` accepts. A cached snapshot with at
 * least one such file counts as complete, because a batch of files is linked into the snapshot only
 * once all of them have arrived (pass `refresh` to ask the hub whether the revision moved).
 */
function datasetRecipe(isDataFile: (repoPath: string) => boolean): SnapshotRecipe {
  return {
    repoType: 'dataset',
    missing: (cache, commit) => (cache.snapshotFiles(commit).some(isDataFile) ? undefined : 'any data file'),
    async download(job) {
      const files = job.siblings.filter(isDataFile);
      if (files.length === 0) {
        const listed = job.siblings.length === 0 ? 'none' : job.siblings.slice(0, 12).join(', ') + (job.siblings.length > 12 ? ', ...' : '');
        throw new HubRepoContentError(job.spec, `commit ${job.commit} has no data file irlens can read (its files: ${listed})`, 'irlens reads CSV, TSV, JSON, JSON Lines and Parquet files; pick a revision that has them (the hub keeps a Parquet copy of most data sets at the revision refs/convert/parquet)');
      }
      await job.fetchFiles(files);
    },
  };
}

/** The data files of a hub data set, from the cache or downloaded into it. */
export async function resolveDataset(spec: string, isDataFile: (repoPath: string) => boolean, options: HubOptions = {}): Promise<ResolvedDataset> {
  const recipe = datasetRecipe(isDataFile);
  const snapshot = await resolveSnapshot(spec, recipe, options);
  const repoFiles = filesUnder(snapshot.folder).filter(isDataFile);
  return { ...snapshot, repoFiles, files: repoFiles.map((file) => join(snapshot.folder, ...file.split('/'))) };
}
