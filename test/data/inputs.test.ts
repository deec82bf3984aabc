/** Data inputs: the rule that tells a path from a hub data set id, local folders, and curating a hub data set (fake hub). */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MissingFileError, curateCommand, isDataFilePath, isHubDatasetId, resolveDataInput, type CurationManifest } from '../../src/data/index.js';
import { HubOfflineError } from '../../src/io/hub-errors.js';
import { silentReporter } from '../../src/io/progress.js';
import type { HubOptions } from '../../src/io/hub-snapshot.js';
import { CSV_FILE, DATASET, DATASET_ROWS, PARQUET_FILE, datasetMain, datasetRepos } from '../io/hub-datasets.js';
import { FakeHub } from '../io/hub-server.js';
import { temporaryFolder } from './shared-data.js';

describe('what an input names', () => {
  it('takes owner/name[@revision] without a data extension as a hub data set id, anything else as a path', () => {
    for (const id of ['jaredjoss/jigsaw-long-2000', 'jaredjoss/jigsaw-long-2000@main', 'owner/name@refs/convert/parquet', 'owner/name.v2', 'owner/name@0123abc']) {
      assert.ok(isHubDatasetId(id), id);
    }
    for (const path of ['train.csv', 'data/train.csv', 'owner/name.parquet', 'owner/name.jsonl.gz', 'jigsaw', './owner/name', '../owner/name', '/owner/name', 'a/b/c', '~/x', 'C:/x', 'owner/na me', '']) {
      assert.ok(!isHubDatasetId(path), path);
    }
  });

  it('reads data files from repo sub-folders, but not metadata, READMEs or dot-folders', () => {
    for (const data of ['data/train-00000-of-00001.parquet', 'train.csv', 'a/b/c.jsonl.gz', 'test.tsv', 'rows.json']) assert.ok(isDataFilePath(data), data);
    for (const other of ['README.md', '.gitattributes', 'dataset_infos.json', 'default/dataset_info.json', 'state.json', '.cache/x.csv', 'data/.tmp.parquet', 'train.arrow']) {
      assert.ok(!isDataFilePath(other), other);
    }
  });

  it('lets an existing path win over a hub id, and reads a folder as the data files under it', async () => {
    const folder = temporaryFolder();
    const cwd = process.cwd();
    try {
      mkdirSync(join(folder.dir, 'owner', 'name', 'data'), { recursive: true });
      writeFileSync(join(folder.dir, 'owner', 'name', 'data', 'b.csv'), 'text,label\nx,1\n');
      writeFileSync(join(folder.dir, 'owner', 'name', 'a.jsonl'), '{"text":"y","label":0}\n');
      writeFileSync(join(folder.dir, 'owner', 'name', 'README.md'), '# not data\n');
      process.chdir(folder.dir);
      const local = await resolveDataInput('owner/name', { offline: true });
      assert.equal(local.source, 'local');
      assert.deepEqual(local.files, [join('owner', 'name', 'a.jsonl'), join('owner', 'name', 'data', 'b.csv')]);
      await assert.rejects(resolveDataInput('owner/other', { offline: true, cacheDir: join(folder.dir, 'cache') }), HubOfflineError);
      mkdirSync(join(folder.dir, 'empty'));
      await assert.rejects(resolveDataInput('empty'), (error: unknown) => error instanceof MissingFileError && /holds no data file/.test(error.message));
      await assert.rejects(resolveDataInput('data/missing.csv'), (error: unknown) => {
        assert.ok(error instanceof MissingFileError, String(error));
        assert.equal(error.message, 'data/missing.csv: no such file or folder; check the path (relative paths are resolved from the current folder), or give a Hugging Face data set id as owner/name');
        return true;
      });
    } finally {
      process.chdir(cwd);
      folder.remove();
    }
  });
});

describe('curating a hub data set', () => {
  let hub: FakeHub;
  before(async () => {
    hub = await FakeHub.start(datasetRepos());
  });
  after(async () => {
    await hub.close();
  });

  it('reads its Parquet and CSV files with the usual loaders, records where they came from, and reads them again offline', async () => {
    const folder = temporaryFolder();
    try {
      const hubOptions: HubOptions = { cacheDir: join(folder.dir, 'cache'), endpoint: hub.url, reporter: silentReporter, env: {} };
      const options = { balance: false, dedupe: false, testFraction: 0.5, seed: 3 };
      const summary = await curateCommand({ input: DATASET, outDir: join(folder.dir, 'online'), hub: hubOptions, ...options });
      assert.deepEqual(summary.inputs.map((input) => [input.hub?.file, input.format, input.schema, input.rows]), [
        [PARQUET_FILE, 'parquet', 'jigsaw-long', DATASET_ROWS[PARQUET_FILE]],
        [CSV_FILE, 'csv', 'jigsaw-long', DATASET_ROWS[CSV_FILE]],
      ].sort((a, b) => String(a[0]).localeCompare(String(b[0]))));
      assert.equal(summary.inputRows, DATASET_ROWS[PARQUET_FILE] + DATASET_ROWS[CSV_FILE]);
      const manifest = JSON.parse(readFileSync(summary.manifestFile, 'utf8')) as CurationManifest;
      for (const input of manifest.inputs) {
        assert.deepEqual({ ...input.hub, file: undefined }, { dataset: DATASET, revision: 'main', commit: datasetMain, file: undefined, source: 'hub' });
        assert.ok(input.path.includes(join('datasets--tiny-org--toxic-prompts', 'snapshots', datasetMain)), input.path);
      }
      const rows = readFileSync(summary.curatedFile, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { prompt: string; continuation: string });
      assert.ok(rows.some((row) => row.prompt.startsWith('main comment') && row.continuation.includes('stupid idiot')));

      const offline = await curateCommand({ input: DATASET, outDir: join(folder.dir, 'offline'), hub: { ...hubOptions, offline: true }, ...options });
      assert.equal(offline.inputs[0]!.hub?.source, 'cache');
      assert.deepEqual(readFileSync(offline.curatedFile), readFileSync(summary.curatedFile));
    } finally {
      folder.remove();
    }
  });
});
