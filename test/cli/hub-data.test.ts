/**
 * Hub data sets from the command line: `irlens curate --input owner/name` against the fake hub,
 * and a paper preset whose data set is neither cached nor reachable, which must stop at once and
 * say what is missing. Run as child processes, as a user would.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { PAPER_PROMPTS } from '../../src/pipeline/presets/pythia.js';
import { CSV_FILE, DATASET, PARQUET_FILE, datasetMain, datasetRepos } from '../io/hub-datasets.js';
import { fixture } from '../io/helpers.js';
import { FakeHub, closedEndpoint } from '../io/hub-server.js';
import { describeRun, irlens, temporaryDir, type CliRun } from './helpers.js';

/** Exit 1, ending with one `irlens: ...` line that matches every pattern (the run log above it may say more). */
function assertUserError(run: CliRun, ...patterns: RegExp[]): void {
  assert.equal(run.code, 1, describeRun(run));
  const last = run.stderr.trimEnd().split('\n').pop()!;
  assert.match(last, /^irlens: /, describeRun(run));
  for (const pattern of patterns) assert.match(last, pattern);
}

/** How long the failed stage ran, from the run log. */
const stageFailedAfter = (run: CliRun): string => /stage curate: failed after (\S+ m?s)/.exec(run.stderr)?.[1] ?? '?';

/** A run and how long it took, end to end (node and tsx start-up included). */
async function timed(run: Promise<CliRun>): Promise<CliRun & { seconds: number }> {
  const started = performance.now();
  const result = await run;
  return { ...result, seconds: (performance.now() - started) / 1000 };
}

describe('irlens curate --input owner/name', () => {
  let hub: FakeHub;
  before(async () => {
    hub = await FakeHub.start(datasetRepos());
  });
  after(async () => {
    await hub.close();
  });

  test('downloads the data set into the hub cache and curates its files', async () => {
    const dir = temporaryDir();
    const env = { HF_HUB_OFFLINE: '0', HF_ENDPOINT: hub.url, HF_HUB_CACHE: join(dir, 'cache') };
    const run = await irlens(['curate', '--input', DATASET, '--out', join(dir, 'curated'), '--test-fraction', '0.5'], { env });
    assert.equal(run.code, 0, describeRun(run));
    for (const file of [PARQUET_FILE, CSV_FILE]) {
      assert.ok(run.stdout.includes(`${DATASET}@${datasetMain.slice(0, 10)}/${file} (downloaded): `), run.stdout);
    }
    const again = await irlens(['curate', '--input', DATASET, '--out', join(dir, 'again')], { env: { ...env, HF_HUB_OFFLINE: '1' } });
    assert.equal(again.code, 0, describeRun(again));
    assert.match(again.stdout, /\(from the hub cache\): parquet, schema jigsaw-long, 6 rows/);
  });

  test('with the hub unreachable and nothing cached, stops at the first refused connection', async (t) => {
    const dir = temporaryDir();
    const env = { HF_HUB_OFFLINE: '0', HF_ENDPOINT: await closedEndpoint(), HF_HUB_CACHE: join(dir, 'cache') };
    const run = await timed(irlens(['curate', '--input', DATASET, '--out', join(dir, 'curated')], { env }));
    t.diagnostic(`irlens curate exited after ${run.seconds.toFixed(2)} s`);
    assertUserError(run, /cannot reach the hub at http:\/\/127\.0\.0\.1:\d+ \(.*ECONNREFUSED/, /revision 'main' is not in the cache at /, /download it once with network access/, /local data file or folder$/);
  });
});

describe('irlens run --preset pythia-70m without the hub', () => {
  // The models are local fixtures, so the stage that needs the hub is curate, for the paper's prompts.
  const localModels = ['--set', `base_model.source=${fixture('gpt-neox-tiny')}`, '--set', `ground_truth.source=${fixture('roberta-tiny-classifier')}`];

  test('offline, it stops at the curate stage at once, naming the data set and how to provide it', async (t) => {
    const dir = temporaryDir();
    const run = await timed(irlens(['run', '--preset', 'pythia-70m', ...localModels, '--out', join(dir, 'run')], { env: { HF_HUB_CACHE: join(dir, 'cache') } }));
    t.diagnostic(`irlens run exited after ${run.seconds.toFixed(2)} s; the curate stage failed after ${stageFailedAfter(run)}`);
    assertUserError(run, new RegExp(`stage curate failed: ${PAPER_PROMPTS}: offline mode \\(HF_HUB_OFFLINE\\) is on`), /pass the path of a local data file or folder/);
  });

  test('with the hub refusing connections, it stops at once too', async (t) => {
    const dir = temporaryDir();
    const env = { HF_HUB_OFFLINE: '0', HF_ENDPOINT: await closedEndpoint(), HF_HUB_CACHE: join(dir, 'cache') };
    const run = await timed(irlens(['run', '--preset', 'pythia-70m', ...localModels, '--out', join(dir, 'run')], { env }));
    t.diagnostic(`irlens run exited after ${run.seconds.toFixed(2)} s; the curate stage failed after ${stageFailedAfter(run)}`);
    assertUserError(run, new RegExp(`stage curate failed: ${PAPER_PROMPTS}: cannot reach the hub`), /download it once with network access/);
  });
});
