/**
 * Parity with transformers on every fixture folder (../shared/fixtures, or env IRLENS_FIXTURES).
 *
 * The suite is driven by the data: each sub-folder is tested by what it is. A model folder
 * (config.json) is loaded through the architecture registry and each golden in its
 * golden.safetensors is compared by the check for its key (checks.ts); a tokenizer folder
 * (tokenizer.json + golden.json) must encode and decode each golden exactly. A folder, an
 * architecture or a golden the suite cannot handle is a failing test that says why, never a
 * skip, so a new fixture is noticed. Measured errors are reported as test diagnostics, and with
 * env IRLENS_PARITY_REPORT=<file> also written there as JSON.
 */
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it, type TestContext } from 'node:test';
import { readConfig, readSafetensorsHeader } from '../../src/io/index.js';
import { ARCHITECTURES } from '../../src/models/registry.js';
import { Tokenizer } from '../../src/text/index.js';
import { classifyFixture, fixture, fixturesDir, listFixtureFolders, readJson } from '../helpers/fixtures.js';
import { checkFor } from './checks.js';
import { formatError } from './compare.js';
import { INPUT_KEYS, memoised, type CheckResult, type FixtureRun } from './fixture-run.js';

/** Fixture → golden key → what its check measured; for the diagnostics and the optional report. */
const measured = new Map<string, Record<string, CheckResult>>();

const fail = (name: string, why: string) => it(`${name}: cannot be tested`, () => assert.fail(`fixture ${name} (${fixture(name)}): ${why}`));

function report(t: TestContext, fixtureName: string, key: string, result: CheckResult): void {
  const results = measured.get(fixtureName) ?? {};
  results[key] = result;
  measured.set(fixtureName, results);
  t.diagnostic(`${key}: ${result.measure} = ${formatError(result.error)} (tolerance ${formatError(result.tolerance)})${result.detail ? `; ${result.detail}` : ''}`);
}

function summary(fixtureName: string): string {
  const results = measured.get(fixtureName) ?? {};
  const grads = Object.entries(results).filter(([key]) => key.startsWith('grad.'));
  const worstGrad = grads.reduce<[string, number] | null>((worst, [key, r]) => (worst && worst[1] >= r.error ? worst : [key, r.error]), null);
  const parts = ['logits', 'last_hidden_state', 'loss'].map((key) => `${key} ${results[key] ? formatError(results[key].error) : 'n/a'}`);
  parts.push(worstGrad ? `gradients (${grads.length}) ${formatError(worstGrad[1])} at ${worstGrad[0]}` : 'gradients n/a');
  if (results.greedy_ids) parts.push(`greedy ${formatError(results.greedy_ids.error)}`);
  return `${fixtureName}: max errors: ${parts.join(', ')}`;
}

function describeModel(name: string, folder: string): void {
  let architectureName: string;
  let goldenKeys: string[];
  let golden: Record<string, unknown>;
  try {
    const config = readConfig(folder);
    const named = config.architectures[0];
    const architecture = ARCHITECTURES.find((a) => a.modelType === config.modelType && (named === undefined || a.name === named));
    if (!architecture) {
      const known = ARCHITECTURES.map((a) => a.name).join(', ');
      fail(name, `its architecture ${named ?? '(none)'} (model_type ${config.modelType}) is not in src/models/registry.ts, which has ${known}`);
      return;
    }
    architectureName = architecture.name;
    const goldenFile = join(folder, 'golden.safetensors');
    if (!existsSync(goldenFile) || !existsSync(join(folder, 'golden.json'))) {
      fail(name, 'a model fixture needs golden.json and golden.safetensors next to config.json');
      return;
    }
    goldenKeys = readSafetensorsHeader(goldenFile).entries.map((entry) => entry.name).sort();
    golden = readJson<Record<string, unknown>>(join(folder, 'golden.json'));
  } catch (error) {
    fail(name, (error as Error).message);
    return;
  }
  const run = memoised(name, folder);

  describe(`${name} (${architectureName})`, () => {
    it('loads and runs the golden inputs', () => {
      run();
    });

    for (const key of goldenKeys) {
      if ((INPUT_KEYS as readonly string[]).includes(key)) continue;
      const check = checkFor(key);
      if (!check) {
        it(key, () => assert.fail(`fixture ${name}: golden.safetensors holds '${key}', which the parity suite has no check for; add one to test/parity/checks.ts`));
        continue;
      }
      it(key, (t) => {
        const result = check(run(), key);
        report(t, name, key, result);
        assert.ok(result.error <= result.tolerance, `${name} ${key}: ${result.measure} = ${result.error} exceeds ${result.tolerance}${result.detail ? ` (${result.detail})` : ''}`);
      });
    }

    it('has a golden gradient for every parameter', () => {
      const fixtureRun: FixtureRun = run();
      assert.deepEqual(fixtureRun.unknownGrads, [], 'golden gradients that name no parameter');
      const covered = new Set([...fixtureRun.gradParameters.values()].map((m) => m.parameter));
      const uncovered = fixtureRun.model.namedParameters().filter(([, p]) => !covered.has(p)).map(([n]) => n);
      assert.deepEqual(uncovered, [], `parameters of ${fixtureRun.architecture.name} without a golden gradient in ${name}`);
    });

    const texts = golden.prompts ?? golden.texts;
    if (existsSync(join(folder, 'tokenizer.json')) && Array.isArray(texts) && goldenKeys.includes('input_ids')) {
      it('tokenizes its texts into the golden input_ids and attention_mask', () => {
        const tokenizer = Tokenizer.fromFolder(folder);
        const batch = tokenizer.encodeBatch(texts as string[], { padding: 'longest' });
        const { goldens } = run();
        const ids = goldens.tensors.get('input_ids')!;
        assert.deepEqual(batch.shape, ids.shape);
        assert.deepEqual(batch.ids.flat(), Array.from(ids.data));
        const mask = goldens.tensors.get('attention_mask');
        if (mask) assert.deepEqual(batch.attentionMask.flat(), Array.from(mask.data));
      });
    }

    it('summary: logits, hidden state, loss and gradients are all measured and within tolerance', (t) => {
      const headline = ['logits', 'last_hidden_state', 'loss'].filter((key) => !goldenKeys.includes(key));
      assert.deepEqual(headline, [], `fixture ${name} lacks these goldens, so its summary would say n/a`);
      assert.ok(goldenKeys.some((key) => key.startsWith('grad.')), `fixture ${name} has no golden gradients`);
      const compared = goldenKeys.filter((key) => !(INPUT_KEYS as readonly string[]).includes(key));
      for (const key of compared) {
        if (measured.get(name)?.[key]) continue;
        // Not measured by its own test (filtered out by --test-name-pattern): measure it here.
        const check = checkFor(key);
        if (!check) assert.fail(`fixture ${name}: no check for golden '${key}'`);
        report(t, name, key, check(run(), key));
      }
      t.diagnostic(summary(name));
      const results = measured.get(name)!;
      const outside = compared.filter((key) => !(results[key]!.error <= results[key]!.tolerance));
      assert.deepEqual(outside, [], `goldens of ${name} outside their tolerance`);
    });
  });
}

interface TokenizerGolden {
  text: string;
  ids: number[];
  decoded: string;
}

const isTokenizerGolden = (g: unknown): g is TokenizerGolden =>
  typeof g === 'object' && g !== null && typeof (g as TokenizerGolden).text === 'string' &&
  Array.isArray((g as TokenizerGolden).ids) && typeof (g as TokenizerGolden).decoded === 'string';

function describeTokenizer(name: string, folder: string): void {
  let goldens: unknown;
  try {
    goldens = readJson(join(folder, 'golden.json'));
  } catch (error) {
    fail(name, `golden.json cannot be read: ${(error as Error).message}`);
    return;
  }
  if (!Array.isArray(goldens) || goldens.length === 0 || !goldens.every(isTokenizerGolden)) {
    fail(name, 'a tokenizer fixture\'s golden.json must be a non-empty list of {"text", "ids", "decoded"}');
    return;
  }
  describe(`${name} (tokenizer)`, () => {
    let tokenizer: Tokenizer | undefined;
    const load = () => (tokenizer ??= Tokenizer.fromFolder(folder));
    for (const golden of goldens) {
      it(`encodes and decodes ${JSON.stringify(golden.text)}`, () => {
        assert.deepEqual(load().encode(golden.text), golden.ids);
        assert.equal(load().decode(golden.ids), golden.decoded);
      });
    }
  });
}

describe(`parity with transformers on the fixtures in ${fixturesDir}`, () => {
  let folders: string[];
  try {
    folders = listFixtureFolders();
  } catch (error) {
    it('finds the fixtures', () => assert.fail((error as Error).message));
    return;
  }
  if (folders.length === 0) it('finds the fixtures', () => assert.fail(`${fixturesDir} holds no fixture folders`));
  for (const name of folders) {
    const folder = fixture(name);
    const kind = classifyFixture(folder);
    if (kind.kind === 'model') describeModel(name, folder);
    else if (kind.kind === 'tokenizer') describeTokenizer(name, folder);
    else fail(name, `the parity suite cannot tell what it is: ${kind.reason}`);
  }

  after(() => {
    const file = process.env.IRLENS_PARITY_REPORT;
    if (!file) return;
    const out = Object.fromEntries([...measured].map(([name, results]) => [name, Object.fromEntries(Object.entries(results).map(([key, r]) => [key, r.error]))]));
    writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
  });
});
