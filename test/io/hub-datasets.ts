/**
 * Data set repos for the fake hub, laid out as the hub lays out the paper's data and the
 * datasets library writes them: a Parquet file under data/, a CSV at the root, a README and the
 * metadata JSON that are not data; an older tagged commit with other rows, a private repo, and one
 * without data files. Rows use the paper's jigsaw-long-2000 columns: prompt, original_output, toxic.
 */
import { parquetWriteBuffer } from 'hyparquet-writer';
import { commitSha, type FakeRepo } from './hub-server.js';

export const DATASET = 'tiny-org/toxic-prompts';
export const PRIVATE_DATASET = 'tiny-org/private-prompts';
export const DATASET_TOKEN = 'hf_dataset_token_456';
export const PARQUET_FILE = 'data/train-00000-of-00001.parquet';
export const CSV_FILE = 'extra.csv';

export const datasetMain = commitSha('dataset main');
export const datasetV1 = commitSha('dataset v1');

interface Row {
  prompt: string;
  original_output: string;
  toxic: number;
}

const rows = (tag: string, count: number): Row[] =>
  Array.from({ length: count }, (_, i) => ({
    prompt: `${tag} comment number ${i} says that`,
    original_output: i % 2 === 0 ? ` you are a stupid idiot ${i}` : ` the weather is nice ${i}`,
    toxic: i % 2 === 0 ? 1 : 0,
  }));

function parquetOf(data: Row[]): Buffer {
  return Buffer.from(
    parquetWriteBuffer({
      columnData: [
        { name: 'prompt', data: data.map((r) => r.prompt), type: 'STRING' },
        { name: 'original_output', data: data.map((r) => r.original_output), type: 'STRING' },
        { name: 'toxic', data: data.map((r) => r.toxic), type: 'INT32' },
      ],
    }),
  );
}

const csvOf = (data: Row[]): Buffer => Buffer.from(['prompt,original_output,toxic', ...data.map((r) => `"${r.prompt}","${r.original_output}",${r.toxic}`)].join('\n') + '\n');

/** Rows in each file, for assertions. */
export const DATASET_ROWS = { [PARQUET_FILE]: 6, [CSV_FILE]: 4, v1: 2 } as const;

const NOT_DATA = {
  'README.md': Buffer.from('---\nconfigs:\n- config_name: default\n  data_files: data/train-*\n---\n# toxic prompts\n'),
  '.gitattributes': Buffer.from('*.parquet filter=lfs diff=lfs merge=lfs -text\n'),
  'dataset_infos.json': Buffer.from('{"default": {"features": {}}}\n'),
};

export function datasetRepos(): FakeRepo[] {
  const mainFiles = new Map<string, Buffer>(Object.entries(NOT_DATA));
  mainFiles.set(PARQUET_FILE, parquetOf(rows('main', DATASET_ROWS[PARQUET_FILE])));
  mainFiles.set(CSV_FILE, csvOf(rows('csv', DATASET_ROWS[CSV_FILE])));
  const v1Files = new Map<string, Buffer>([[PARQUET_FILE, parquetOf(rows('v1', DATASET_ROWS.v1))]]);
  const privateSha = commitSha('private dataset');
  const emptySha = commitSha('no data');
  return [
    { id: DATASET, type: 'dataset', commits: [{ sha: datasetMain, files: mainFiles }, { sha: datasetV1, files: v1Files }], refs: { main: datasetMain, v1: datasetV1 } },
    { id: PRIVATE_DATASET, type: 'dataset', commits: [{ sha: privateSha, files: v1Files }], refs: { main: privateSha }, token: DATASET_TOKEN, private: true },
    { id: 'tiny-org/no-data', type: 'dataset', commits: [{ sha: emptySha, files: new Map(Object.entries(NOT_DATA)) }], refs: { main: emptySha } },
  ];
}

/** Which repo files hold data, as the data layer decides it (a plain rule, so io tests stand alone). */
export const isDataFile = (path: string): boolean => /\.(csv|parquet|jsonl)$/.test(path) && !path.split('/').some((part) => part.startsWith('.'));
