import { strict as assert } from 'node:assert';
import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadCheckpoint } from '../../src/io/checkpoint.js';
import { CheckpointError } from '../../src/io/errors.js';
import { parseModelId, resolveModel, resolveModelDetails } from '../../src/io/hub.js';
import type { HubOptions } from '../../src/io/hub-snapshot.js';
import { HubAuthError, HubConnectionError, HubDownloadError, HubNotFoundError, HubOfflineError, HubRepoContentError, RepoIdError } from '../../src/io/hub-errors.js';
import { resolveDataset } from '../../src/io/hub-dataset.js';
import { silentReporter, type DownloadReporter } from '../../src/io/progress.js';
import { loadModel } from '../../src/models/load.js';
import { fixture, scratch } from './helpers.js';
import { FakeHub, closedEndpoint, commitSha, countingFetch, etagOf, filesOf, sha256, type FakeRepo } from './hub-server.js';
import { CSV_FILE, DATASET, DATASET_TOKEN, PARQUET_FILE, PRIVATE_DATASET, datasetMain, datasetRepos, datasetV1, isDataFile } from './hub-datasets.js';

const TINY = 'tiny-org/gpt-neox-tiny';
const SHARDED = 'tiny-org/gpt-neox-tiny-sharded';
const BIN = 'tiny-org/gpt-neox-tiny-bin';
const GATED = 'gated-org/gpt-neox-tiny';
const TOKEN = 'hf_test_token_123';

/** Files in the fixtures that a model does not need, plus a few a real repo has. */
const EXTRAS = { 'README.md': '# tiny\n', 'flax_model.msgpack': 'not needed', '.gitattributes': '*.safetensors filter=lfs\n' };

const mainCommit = commitSha('tiny main');
const shardedCommit = commitSha('tiny sharded');
const repos: FakeRepo[] = [
  {
    id: TINY,
    // main is the single-file layout; the older commit (branch "sharded", tag "v0.1") has the same weights in shards.
    commits: [
      { sha: mainCommit, files: filesOf(fixture('gpt-neox-tiny'), EXTRAS) },
      { sha: shardedCommit, files: filesOf(fixture('gpt-neox-tiny-sharded'), EXTRAS) },
    ],
    refs: { main: mainCommit, sharded: shardedCommit, 'v0.1': shardedCommit },
  },
  { id: SHARDED, commits: [{ sha: commitSha('sharded'), files: filesOf(fixture('gpt-neox-tiny-sharded'), EXTRAS) }], refs: { main: commitSha('sharded') } },
  { id: BIN, commits: [{ sha: commitSha('bin'), files: filesOf(fixture('gpt-neox-tiny-bin')) }], refs: { main: commitSha('bin') } },
  { id: GATED, commits: [{ sha: commitSha('gated'), files: filesOf(fixture('gpt-neox-tiny')) }], refs: { main: commitSha('gated') }, token: TOKEN },
  { id: 'tiny-org/no-weights', commits: [{ sha: commitSha('nw'), files: new Map([['config.json', Buffer.from('{}')]]) }], refs: { main: commitSha('nw') } },
  ...datasetRepos(),
];

const NEEDED = ['config.json', 'generation_config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json'];
const fixtureBytes = (folder: string, file: string) => readFileSync(fixture(folder, file));

let hub: FakeHub;
before(async () => {
  hub = await FakeHub.start(repos);
});
after(async () => {
  await hub.close();
});

/** A fresh cache and the options that point resolveModel at it and at the fake hub. */
function setup(extraEnv: Record<string, string> = {}): { cache: string; options: HubOptions; cleanup: () => void } {
  const { dir, cleanup } = scratch();
  const cache = join(dir, 'hub');
  hub.take();
  return {
    cache,
    cleanup,
    options: { env: { HF_ENDPOINT: hub.url, HF_HUB_CACHE: cache, HF_HOME: join(dir, 'home'), ...extraEnv }, reporter: silentReporter, retryDelayMs: 0 },
  };
}

function assertSameWeights(folder: string, fixtureFolder: string): void {
  const expected = loadModel(fixture(fixtureFolder)).model.stateDict();
  const actual = loadModel(folder).model.stateDict();
  assert.deepEqual([...actual.keys()].sort(), [...expected.keys()].sort());
  for (const [name, tensor] of expected) {
    assert.deepEqual(actual.get(name)!.shape, tensor.shape, name);
    assert.deepEqual(Buffer.from(actual.get(name)!.data.buffer), Buffer.from(tensor.data.buffer), `${name} differs`);
  }
}

describe('resolveModel from the hub', () => {
  it('downloads only what the model needs, and loads the same weights as the fixture folder', async () => {
    const { options, cleanup } = setup();
    try {
      const details = await resolveModelDetails(TINY, options);
      assert.equal(details.source, 'hub');
      assert.equal(details.commit, mainCommit);
      assert.deepEqual(readdirSync(details.folder).sort(), NEEDED);
      assert.deepEqual([...details.downloaded].sort(), NEEDED);
      assertSameWeights(details.folder, 'gpt-neox-tiny');
      const requested = hub.take().map((r) => r.path);
      assert.ok(!requested.some((p) => /golden|README|flax|gitattributes/.test(p)), `asked for files the model does not need: ${requested.join(', ')}`);
    } finally {
      cleanup();
    }
  });

  it("lays out the cache exactly as huggingface_hub does (blobs, relative snapshot symlinks, refs)", async () => {
    const { cache, options, cleanup } = setup();
    try {
      const folder = await resolveModel(TINY, options);
      const repoDir = join(cache, 'models--tiny-org--gpt-neox-tiny');
      assert.equal(folder, join(repoDir, 'snapshots', mainCommit));
      assert.deepEqual(readdirSync(repoDir).sort(), ['blobs', 'refs', 'snapshots']);
      assert.deepEqual(readdirSync(cache).sort(), ['.locks', 'models--tiny-org--gpt-neox-tiny']);
      assert.deepEqual(readdirSync(join(repoDir, 'refs')), ['main']);
      assert.equal(readFileSync(join(repoDir, 'refs', 'main'), 'utf8'), mainCommit);
      assert.deepEqual(readdirSync(join(repoDir, 'snapshots')), [mainCommit]);
      const etags: string[] = [];
      for (const file of NEEDED) {
        const pointer = join(folder, file);
        assert.ok(lstatSync(pointer).isSymbolicLink(), `${file} should be a symlink`);
        const content = fixtureBytes('gpt-neox-tiny', file);
        const etag = etagOf(file, content);
        etags.push(etag);
        assert.equal(readlinkSync(pointer), `../../blobs/${etag}`);
        assert.deepEqual(readFileSync(join(repoDir, 'blobs', etag)), content);
      }
      assert.equal(etagOf('model.safetensors', fixtureBytes('gpt-neox-tiny', 'model.safetensors')).length, 64, 'LFS blobs are named by sha256');
      assert.equal(etagOf('config.json', fixtureBytes('gpt-neox-tiny', 'config.json')).length, 40, 'other blobs by git sha1');
      assert.deepEqual(readdirSync(join(repoDir, 'blobs')).sort(), etags.sort());
    } finally {
      cleanup();
    }
  });

  it('makes no request when the revision is already cached', async () => {
    const { options, cleanup } = setup();
    try {
      const first = await resolveModel(TINY, options);
      hub.take();
      const second = await resolveModelDetails(TINY, options);
      assert.equal(second.folder, first);
      assert.equal(second.source, 'cache');
      const pinned = await resolveModel(`${TINY}@${mainCommit}`, options);
      assert.equal(pinned, first);
      assert.deepEqual(hub.take(), []);
      // refresh asks the hub where the branch points, but downloads nothing it has.
      const refreshed = await resolveModelDetails(TINY, { ...options, refresh: true });
      assert.equal(refreshed.folder, first);
      assert.deepEqual(refreshed.downloaded, []);
      assert.deepEqual(hub.take().map((r) => r.path), [`/api/models/${TINY}/revision/main`]);
    } finally {
      cleanup();
    }
  });

  it('works offline from the cache, through refs/ for a branch, and fails clearly without it', async () => {
    const { cache, options, cleanup } = setup();
    try {
      const offlineEnv = { ...options.env, HF_HUB_OFFLINE: '1' };
      await assert.rejects(resolveModel(TINY, { ...options, env: offlineEnv }), (error: unknown) => {
        assert.ok(error instanceof HubOfflineError, String(error));
        assert.ok(error.message.includes(TINY), error.message);
        assert.ok(error.message.includes(join(cache, 'models--tiny-org--gpt-neox-tiny')), error.message);
        assert.match(error.message, /HF_HUB_OFFLINE/);
        return true;
      });
      const online = await resolveModel(TINY, options);
      hub.take();
      assert.equal(await resolveModel(TINY, { ...options, env: offlineEnv }), online);
      assert.equal(await resolveModel(`${TINY}@${mainCommit}`, { ...options, offline: true }), online);
      await assert.rejects(resolveModel(`${TINY}@sharded`, { ...options, offline: true }), HubOfflineError);
      assert.deepEqual(hub.take(), [], 'offline mode made a request');
    } finally {
      cleanup();
    }
  });

  it('resumes a download cut off midway with a Range request', async () => {
    const { options, cleanup } = setup();
    try {
      const weights = fixtureBytes('gpt-neox-tiny', 'model.safetensors');
      hub.interrupt(sha256(weights));
      const folder = await resolveModel(TINY, options);
      const gets = hub.take().filter((r) => r.method === 'GET' && r.path === `/cdn/${sha256(weights)}`);
      assert.equal(gets.length, 2);
      assert.equal(gets[0]!.range, undefined);
      assert.match(gets[1]!.range ?? '', /^bytes=(\d+)-$/);
      const resumedAt = Number(/^bytes=(\d+)-$/.exec(gets[1]!.range!)![1]);
      assert.ok(resumedAt > 0 && resumedAt <= weights.length / 2, `resumed at ${resumedAt}`);
      assert.deepEqual(readFileSync(join(folder, 'model.safetensors')), weights);
    } finally {
      cleanup();
    }
  });

  it('keeps a cut-off download as .incomplete, never at the final path, and resumes it in a later call', async () => {
    const { cache, options, cleanup } = setup();
    try {
      const weights = fixtureBytes('gpt-neox-tiny', 'model.safetensors');
      const etag = sha256(weights);
      const blob = join(cache, 'models--tiny-org--gpt-neox-tiny', 'blobs', etag);
      hub.interrupt(etag);
      await assert.rejects(resolveModel(TINY, { ...options, retries: 0 }), (error: unknown) => {
        assert.ok(error instanceof HubDownloadError, String(error));
        assert.match(error.message, /model\.safetensors/);
        return true;
      });
      assert.ok(!existsSync(blob), 'a half-written blob appeared at the final path');
      assert.ok(!existsSync(join(cache, 'models--tiny-org--gpt-neox-tiny', 'snapshots', mainCommit, 'model.safetensors')));
      const partial = readFileSync(`${blob}.incomplete`);
      assert.ok(partial.length > 0 && partial.length < weights.length);
      assert.deepEqual(partial, weights.subarray(0, partial.length));
      hub.take();
      const starts: Array<[string, number | undefined, number]> = [];
      const recording: DownloadReporter = { ...silentReporter, start: (file, total, already) => (starts.push([file, total, already]), silentReporter.start(file, total, already)) };
      const folder = await resolveModel(TINY, { ...options, reporter: recording });
      assert.deepEqual(starts, [['model.safetensors', weights.length, partial.length]]);
      const gets = hub.take().filter((r) => r.method === 'GET' && !r.path.startsWith('/api/'));
      assert.deepEqual(gets.map((r) => [r.path, r.range]), [[`/cdn/${etag}`, `bytes=${partial.length}-`]]);
      assert.deepEqual(readFileSync(join(folder, 'model.safetensors')), weights);
      assert.ok(!existsSync(`${blob}.incomplete`));
    } finally {
      cleanup();
    }
  });

  it('refuses bytes whose sha256 does not match the ETag, and keeps nothing', async () => {
    const { cache, options, cleanup } = setup();
    try {
      const etag = sha256(fixtureBytes('gpt-neox-tiny-bin', 'pytorch_model.bin'));
      hub.corrupt(etag);
      await assert.rejects(resolveModel(BIN, options), (error: unknown) => {
        assert.ok(error instanceof HubDownloadError, String(error));
        assert.match(error.message, /sha256/);
        return true;
      });
      const blobs = join(cache, 'models--tiny-org--gpt-neox-tiny-bin', 'blobs');
      assert.ok(!readdirSync(blobs).some((name) => name.startsWith(etag)));
    } finally {
      cleanup();
    }
  });

  it('sends the token from HF_TOKEN or the option, and says what to do without one', async () => {
    const { options, cleanup } = setup();
    try {
      await assert.rejects(resolveModel(GATED, options), (error: unknown) => {
        assert.ok(error instanceof HubAuthError, String(error));
        assert.equal(error.status, 401);
        assert.match(error.message, /gated or private/);
        assert.match(error.message, /HF_TOKEN/);
        return true;
      });
      await assert.rejects(resolveModel(GATED, { ...options, token: 'wrong' }), (error: unknown) => error instanceof HubAuthError && error.tokenSent);
      hub.take();
      const folder = await resolveModel(GATED, { ...options, env: { ...options.env, HF_TOKEN: TOKEN } });
      const requests = hub.take();
      const toHub = requests.filter((r) => !r.path.startsWith('/cdn/'));
      assert.ok(toHub.length > 0 && toHub.every((r) => r.authorization === `Bearer ${TOKEN}`));
      // The token goes to the hub only, never to the CDN it redirects to.
      assert.ok(requests.some((r) => r.path.startsWith('/cdn/')) && requests.filter((r) => r.path.startsWith('/cdn/')).every((r) => r.authorization === undefined));
      assertSameWeights(folder, 'gpt-neox-tiny');
      for (const how of ['option', 'token file']) {
        const { options: fresh, cleanup: cleanupFresh } = setup();
        try {
          if (how === 'option') await resolveModel(GATED, { ...fresh, token: TOKEN });
          else {
            const home = fresh.env!.HF_HOME!;
            mkdirSync(home, { recursive: true });
            writeFileSync(join(home, 'token'), `${TOKEN}\n`);
            await resolveModel(GATED, fresh);
          }
        } finally {
          cleanupFresh();
        }
      }
    } finally {
      cleanup();
    }
  });

  it('says when the id or the revision does not exist', async () => {
    const { options, cleanup } = setup();
    try {
      await assert.rejects(resolveModel('tiny-org/does-not-exist', { ...options, token: 'some-token' }), (error: unknown) => {
        assert.ok(error instanceof HubNotFoundError && error.what === 'repo', String(error));
        assert.match(error.message, /tiny-org\/does-not-exist/);
        assert.match(error.message, /spelling/);
        return true;
      });
      // Without a token the hub answers 401 for a missing repo, so as not to reveal private ones.
      await assert.rejects(resolveModel('tiny-org/does-not-exist', options), (error: unknown) => {
        assert.ok(error instanceof HubAuthError && error.errorCode === 'RepoNotFound', String(error));
        assert.match(error.message, /no such model exists or it is private or gated/);
        assert.match(error.message, /spelling/);
        assert.match(error.message, /HF_TOKEN/);
        return true;
      });
      await assert.rejects(resolveModel(`${TINY}@no-such-branch`, options), (error: unknown) => {
        assert.ok(error instanceof HubNotFoundError && error.what === 'revision', String(error));
        assert.match(error.message, /no-such-branch/);
        return true;
      });
      await assert.rejects(resolveModel('tiny-org/no-weights', options), HubRepoContentError);
    } finally {
      cleanup();
    }
  });

  it('pins a revision by commit, by branch and by tag', async () => {
    const { cache, options, cleanup } = setup();
    try {
      const repoDir = join(cache, 'models--tiny-org--gpt-neox-tiny');
      const main = await resolveModel(TINY, options);
      hub.take();
      const byCommit = await resolveModel(TINY, { ...options, revision: shardedCommit });
      assert.equal(byCommit, join(repoDir, 'snapshots', shardedCommit));
      assert.equal(loadCheckpoint(byCommit).format, 'safetensors-sharded');
      assert.ok(!existsSync(join(byCommit, 'model.safetensors')));
      assertSameWeights(byCommit, 'gpt-neox-tiny-sharded');
      // config.json is the same blob in both commits: it is linked, not downloaded again.
      const gets = hub.take().filter((r) => r.method === 'GET').map((r) => r.path);
      assert.ok(!gets.some((p) => p.endsWith('/config.json')), gets.join(', '));
      assert.equal(readlinkSync(join(byCommit, 'config.json')), readlinkSync(join(main, 'config.json')));
      assert.deepEqual(readdirSync(join(repoDir, 'refs')), ['main'], 'a commit hash needs no ref');

      assert.equal(await resolveModel(`${TINY}@sharded`, options), byCommit);
      assert.equal(await resolveModel(TINY, { ...options, revision: 'v0.1' }), byCommit);
      assert.equal(readFileSync(join(repoDir, 'refs', 'sharded'), 'utf8'), shardedCommit);
      assert.equal(readFileSync(join(repoDir, 'refs', 'v0.1'), 'utf8'), shardedCommit);
      assert.equal(readFileSync(join(repoDir, 'refs', 'main'), 'utf8'), mainCommit);
      assert.equal(await resolveModel(TINY, options), main);
    } finally {
      cleanup();
    }
  });

  it('downloads a sharded repo through its index, and falls back to pytorch_model.bin', async () => {
    const { options, cleanup } = setup();
    try {
      const sharded = await resolveModel(SHARDED, options);
      assert.deepEqual(readdirSync(sharded).sort(), [
        'config.json',
        'generation_config.json',
        'model-00001-of-00004.safetensors',
        'model-00002-of-00004.safetensors',
        'model-00003-of-00004.safetensors',
        'model-00004-of-00004.safetensors',
        'model.safetensors.index.json',
        'tokenizer.json',
        'tokenizer_config.json',
      ]);
      assertSameWeights(sharded, 'gpt-neox-tiny-sharded');
      const bin = await resolveModel(BIN, options);
      assert.equal(loadCheckpoint(bin).format, 'torch-bin');
      assertSameWeights(bin, 'gpt-neox-tiny-bin');
    } finally {
      cleanup();
    }
  });

  it('downloads each blob once when two calls fetch the same model at the same time', async () => {
    const { cache, options, cleanup } = setup();
    try {
      const [a, b] = await Promise.all([resolveModel(TINY, options), resolveModel(TINY, options)]);
      assert.equal(a, b);
      const weights = fixtureBytes('gpt-neox-tiny', 'model.safetensors');
      assert.equal(hub.take().filter((r) => r.method === 'GET' && r.path === `/cdn/${sha256(weights)}`).length, 1);
      assert.deepEqual(readFileSync(join(a, 'model.safetensors')), weights);
      assert.deepEqual(readdirSync(join(cache, '.locks', 'models--tiny-org--gpt-neox-tiny')), [], 'locks are released');
    } finally {
      cleanup();
    }
  });

  it('takes over a lock left by a process that died', async () => {
    const { cache, options, cleanup } = setup();
    try {
      const etag = sha256(fixtureBytes('gpt-neox-tiny', 'model.safetensors'));
      const lock = join(cache, '.locks', 'models--tiny-org--gpt-neox-tiny', `${etag}.irlens.lock`);
      mkdirSync(join(lock, '..'), { recursive: true });
      writeFileSync(lock, `${hostname()} 2147483646`);
      await resolveModel(TINY, options);
      assert.ok(!existsSync(lock));
    } finally {
      cleanup();
    }
  });

  it('re-downloads a file whose blob was deleted from the cache', async () => {
    const { cache, options, cleanup } = setup();
    try {
      const folder = await resolveModel(TINY, options);
      const etag = etagOf('tokenizer.json', fixtureBytes('gpt-neox-tiny', 'tokenizer.json'));
      const { rmSync } = await import('node:fs');
      rmSync(join(cache, 'models--tiny-org--gpt-neox-tiny', 'blobs', etag));
      // A complete snapshot for loading does not need the tokenizer, so ask the hub explicitly.
      const again = await resolveModelDetails(TINY, { ...options, refresh: true });
      assert.deepEqual(again.downloaded, ['tokenizer.json']);
      assert.deepEqual(readFileSync(join(folder, 'tokenizer.json')), fixtureBytes('gpt-neox-tiny', 'tokenizer.json'));
    } finally {
      cleanup();
    }
  });
});

describe('resolveModel with local folders and ids', () => {
  it('returns a local checkpoint folder as it is, and refuses folders that are not checkpoints', async () => {
    const { dir, cleanup } = scratch();
    try {
      assert.equal(await resolveModel(fixture('gpt-neox-tiny')), fixture('gpt-neox-tiny'));
      mkdirSync(join(dir, 'empty'));
      await assert.rejects(resolveModel(join(dir, 'empty')), (error: unknown) => error instanceof CheckpointError && /config\.json/.test(error.message));
      writeFileSync(join(dir, 'file.txt'), 'x');
      await assert.rejects(resolveModel(join(dir, 'file.txt')), CheckpointError);
      await assert.rejects(resolveModel(join(dir, 'missing', 'folder')), (error: unknown) => error instanceof CheckpointError && /does not exist/.test(error.message));
      await assert.rejects(resolveModel('./not-here'), CheckpointError);
    } finally {
      cleanup();
    }
  });

  it('parses ids and revisions', () => {
    assert.deepEqual(parseModelId('EleutherAI/pythia-70m'), { repoId: 'EleutherAI/pythia-70m', revision: 'main' });
    assert.deepEqual(parseModelId('gpt2'), { repoId: 'gpt2', revision: 'main' });
    assert.deepEqual(parseModelId('EleutherAI/pythia-70m@step1000'), { repoId: 'EleutherAI/pythia-70m', revision: 'step1000' });
    assert.deepEqual(parseModelId('EleutherAI/pythia-70m', 'v1'), { repoId: 'EleutherAI/pythia-70m', revision: 'v1' });
    assert.deepEqual(parseModelId('org/name@refs/pr/1'), { repoId: 'org/name', revision: 'refs/pr/1' });
    for (const bad of ['org/na me', 'org--x/name', 'a/b/c', 'org/name@', '-org/name', 'org/name@a/../b']) {
      assert.throws(() => parseModelId(bad), RepoIdError, bad);
    }
    assert.throws(() => parseModelId('org/name@v1', 'v2'), /one place/);
  });
});

describe('resolveDataset from the hub', () => {
  const datasetDir = (cache: string) => join(cache, 'datasets--tiny-org--toxic-prompts');

  it('downloads the data files, sub-folders included, into the datasets--owner--name layout', async () => {
    const { cache, options, cleanup } = setup();
    try {
      const resolved = await resolveDataset(DATASET, isDataFile, options);
      const repoDir = datasetDir(cache);
      assert.equal(resolved.source, 'hub');
      assert.equal(resolved.commit, datasetMain);
      assert.equal(resolved.folder, join(repoDir, 'snapshots', datasetMain));
      assert.deepEqual(resolved.repoFiles, [PARQUET_FILE, CSV_FILE].sort());
      assert.deepEqual(resolved.files, resolved.repoFiles.map((file) => join(resolved.folder, file)));
      assert.deepEqual(readdirSync(cache).sort(), ['.locks', 'datasets--tiny-org--toxic-prompts']);
      assert.deepEqual(readdirSync(join(cache, '.locks')), ['datasets--tiny-org--toxic-prompts']);
      assert.deepEqual(readdirSync(repoDir).sort(), ['blobs', 'refs', 'snapshots']);
      assert.equal(readFileSync(join(repoDir, 'refs', 'main'), 'utf8'), datasetMain);
      // The Parquet file is an LFS blob named by its sha256, linked from one folder deeper.
      const parquet = join(resolved.folder, 'data', 'train-00000-of-00001.parquet');
      const parquetEtag = readlinkSync(parquet).split('/').pop()!;
      assert.equal(readlinkSync(parquet), `../../../blobs/${parquetEtag}`);
      assert.equal(parquetEtag.length, 64);
      assert.equal(readlinkSync(join(resolved.folder, CSV_FILE)).length, '../../blobs/'.length + 40);
      const requested = hub.take().map((r) => r.path);
      assert.ok(requested.includes(`/api/datasets/${DATASET}/revision/main`), requested.join(', '));
      assert.ok(requested.some((p) => p === `/datasets/${DATASET}/resolve/${datasetMain}/${PARQUET_FILE}`), requested.join(', '));
      assert.ok(!requested.some((p) => /README|gitattributes|dataset_infos/.test(p)), `asked for files that hold no data: ${requested.join(', ')}`);
    } finally {
      cleanup();
    }
  });

  it('reads a cached data set without the hub: no request, and the server can be gone', async () => {
    const { cache, options, cleanup } = setup();
    const ownHub = await FakeHub.start(datasetRepos());
    try {
      const online = { ...options, env: { ...options.env, HF_ENDPOINT: ownHub.url } };
      const first = await resolveDataset(DATASET, isDataFile, online);
      await ownHub.close();
      const again = await resolveDataset(DATASET, isDataFile, online);
      assert.equal(again.source, 'cache');
      assert.deepEqual(again.files, first.files);
      const offline = await resolveDataset(DATASET, isDataFile, { ...online, env: { ...online.env, HF_HUB_OFFLINE: '1' } });
      assert.deepEqual(offline.files, first.files);
      assert.ok(existsSync(join(datasetDir(cache), 'snapshots', datasetMain, PARQUET_FILE)));
    } finally {
      await ownHub.close().catch(() => undefined);
      cleanup();
    }
  });

  it('pins a revision by tag and by commit', async () => {
    const { cache, options, cleanup } = setup();
    try {
      const byTag = await resolveDataset(`${DATASET}@v1`, isDataFile, options);
      assert.equal(byTag.commit, datasetV1);
      assert.deepEqual(byTag.repoFiles, [PARQUET_FILE]);
      assert.equal(readFileSync(join(datasetDir(cache), 'refs', 'v1'), 'utf8'), datasetV1);
      const byCommit = await resolveDataset(DATASET, isDataFile, { ...options, revision: datasetV1 });
      assert.equal(byCommit.folder, byTag.folder);
      const main = await resolveDataset(DATASET, isDataFile, options);
      assert.notEqual(main.folder, byTag.folder);
      assert.notDeepEqual(readFileSync(main.files[1]!), readFileSync(byTag.files[0]!), 'each commit keeps its own Parquet file');
    } finally {
      cleanup();
    }
  });

  it('says what to do for a private, a missing and an empty data set', async () => {
    const { options, cleanup } = setup();
    try {
      await assert.rejects(resolveDataset(PRIVATE_DATASET, isDataFile, options), (error: unknown) => {
        assert.ok(error instanceof HubAuthError && error.status === 401, String(error));
        assert.match(error.message, /no such data set exists or it is private or gated, and no token was sent/);
        assert.match(error.message, /HF_TOKEN/);
        return true;
      });
      const withToken = await resolveDataset(PRIVATE_DATASET, isDataFile, { ...options, env: { ...options.env, HF_TOKEN: DATASET_TOKEN } });
      assert.deepEqual(withToken.repoFiles, [PARQUET_FILE]);
      await assert.rejects(resolveDataset('tiny-org/no-such-data', isDataFile, { ...options, token: 'some-token' }), (error: unknown) => {
        assert.ok(error instanceof HubNotFoundError && error.what === 'repo', String(error));
        assert.match(error.message, /^tiny-org\/no-such-data: no such data set on the hub \(HTTP 404\)/);
        assert.match(error.message, /local data file or folder/);
        return true;
      });
      await assert.rejects(resolveDataset(`${DATASET}@no-such-tag`, isDataFile, options), (error: unknown) => error instanceof HubNotFoundError && error.what === 'revision');
      await assert.rejects(resolveDataset('tiny-org/no-data', isDataFile, options), (error: unknown) => {
        assert.ok(error instanceof HubRepoContentError, String(error));
        assert.match(error.message, /no data file irlens can read \(its files: README\.md, \.gitattributes, dataset_infos\.json\)/);
        return true;
      });
    } finally {
      cleanup();
    }
  });
});

describe('without a network', () => {
  it('fails at once when offline mode is on and the data set is not cached, without a request', async () => {
    const { cache, options, cleanup } = setup({ HF_HUB_OFFLINE: '1' });
    try {
      await assert.rejects(resolveDataset(DATASET, isDataFile, options), (error: unknown) => {
        assert.ok(error instanceof HubOfflineError, String(error));
        assert.ok(error.message.startsWith(`${DATASET}: offline mode (HF_HUB_OFFLINE) is on`), error.message);
        assert.ok(error.message.includes(join(cache, 'datasets--tiny-org--toxic-prompts')), error.message);
        assert.match(error.message, /download it once with network access .* or pass the path of a local data file or folder$/);
        return true;
      });
      assert.deepEqual(hub.take(), []);
    } finally {
      cleanup();
    }
  });

  for (const kind of ['dataset', 'model'] as const) {
    it(`fails at the first refused connection for a ${kind}, without retrying, saying how to do without the hub`, async (t) => {
      const { cache, options, cleanup } = setup();
      try {
        const counter = countingFetch();
        // The default retries and delays: a retry would take a second or more and show in the count.
        const refused = { env: { ...options.env, HF_ENDPOINT: await closedEndpoint() }, reporter: silentReporter, fetch: counter.fetch };
        const started = performance.now();
        const attempt = kind === 'dataset' ? resolveDataset(DATASET, isDataFile, refused) : resolveModel(TINY, refused);
        await assert.rejects(attempt, (error: unknown) => {
          assert.ok(error instanceof HubConnectionError, String(error));
          assert.match(error.message, /cannot reach the hub at http:\/\/127\.0\.0\.1:\d+ \(.*ECONNREFUSED/);
          assert.ok(error.message.includes(`is not in the cache at ${join(cache, kind === 'dataset' ? 'datasets--tiny-org--toxic-prompts' : 'models--tiny-org--gpt-neox-tiny')}`), error.message);
          assert.match(error.message, kind === 'dataset' ? /local data file or folder$/ : /local checkpoint folder$/);
          return true;
        });
        t.diagnostic(`failed after ${(performance.now() - started).toFixed(0)} ms`);
        assert.equal(counter.calls(), 1);
      } finally {
        cleanup();
      }
    });
  }

  it('fails at once when the hub name does not resolve or fetch refuses the port, but retries a dropped connection', async () => {
    const { options, cleanup } = setup();
    const failing = (code: string) =>
      countingFetch((async () => {
        throw new TypeError('fetch failed', { cause: Object.assign(new Error(`getaddrinfo ${code} hub.example`), { code }) });
      }) as typeof fetch);
    try {
      const noDns = failing('ENOTFOUND');
      await assert.rejects(resolveDataset(DATASET, isDataFile, { ...options, retryDelayMs: 60_000, fetch: noDns.fetch }), (error: unknown) => error instanceof HubConnectionError && /ENOTFOUND/.test(error.message));
      assert.equal(noDns.calls(), 1);
      // fetch never connects to some ports (9, 6000, ...): "fetch failed" with the cause "bad port", no code.
      const badPort = countingFetch((async () => {
        throw new TypeError('fetch failed', { cause: new Error('bad port') });
      }) as typeof fetch);
      await assert.rejects(resolveDataset(DATASET, isDataFile, { ...options, retryDelayMs: 60_000, fetch: badPort.fetch }), (error: unknown) => error instanceof HubConnectionError && /bad port/.test(error.message));
      assert.equal(badPort.calls(), 1);
      const dropped = failing('ECONNRESET');
      await assert.rejects(resolveDataset(DATASET, isDataFile, { ...options, retries: 2, fetch: dropped.fetch }), HubConnectionError);
      assert.equal(dropped.calls(), 3);
    } finally {
      cleanup();
    }
  });
});
