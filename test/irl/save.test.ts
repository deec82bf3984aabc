import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { POOLINGS, RewardFolderError, RewardModel, loadRewardFunction, saveRewardModel } from '../../src/irl/index.js';
import type { GPTNeoXForCausalLM } from '../../src/models/gpt-neox.js';
import { loadModel } from '../../src/models/load.js';
import { saveModel } from '../../src/models/save.js';
import { GPTNeoXForSequenceClassification } from '../../src/models/sequence-classification.js';
import { Rng } from '../../src/nn/index.js';
import { Tokenizer } from '../../src/text/index.js';
import { fixture, projectRoot } from '../helpers/fixtures.js';
import { runPythonScript } from '../helpers/python.js';

const FIXTURE = fixture('gpt-neox-tiny');
const PAD = 1; // <|padding|>, which no text below contains
const TEXTS = ['the cat sat on the mat', 'hello', 'a much longer sentence, with some punctuation in it!', 'be kind to each other'];
const dir = mkdtempSync(join(tmpdir(), 'irlens-irl-save-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const lm = loadModel(FIXTURE).model as GPTNeoXForCausalLM;
const tokenizer = Tokenizer.fromFolder(FIXTURE);
const rows = TEXTS.map((text) => tokenizer.encode(text));

function maxError(a: number[], b: number[]): number {
  assert.equal(a.length, b.length);
  return a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);
}

describe('saving a recovered reward and loading it back', () => {
  for (const pooling of POOLINGS) {
    it(`'${pooling}': save → load as a RewardFunction gives the same scores`, (t) => {
      const model = RewardModel.fromCausalLM(lm, { pooling, rng: new Rng(9), padTokenId: PAD });
      const folder = join(dir, pooling);
      saveRewardModel(model, folder, { tokenizerFrom: FIXTURE, rewardInput: 'prompt+continuation' });
      const config = JSON.parse(readFileSync(join(folder, 'config.json'), 'utf8'));
      assert.equal(config.irlens_pooling, pooling);
      assert.equal(Object.keys(config.id2label).length, 1, 'one label: transformers reads num_labels from id2label');
      const reward = loadRewardFunction(folder);
      const error = maxError(reward.score(TEXTS).scores, model.scoreRows(rows));
      t.diagnostic(`max |loaded − original| = ${error.toExponential(2)}`);
      assert.ok(error <= 1e-6);
      assert.equal(reward.model.pooling, pooling);
    });
  }

  it('refuses folders that are not one-output reward models', () => {
    const classifier = join(dir, 'two-labels');
    saveModel(GPTNeoXForSequenceClassification.fromCausalLM(lm, { numLabels: 2 }), { ...lm.config, numLabels: 2, id2label: { 0: 'a', 1: 'b' }, label2id: { a: 0, b: 1 } }, classifier, { tokenizerFrom: FIXTURE });
    assert.throws(() => loadRewardFunction(classifier), (e: Error) => e instanceof RewardFolderError && /num_labels 2/.test(e.message));
    assert.throws(() => loadRewardFunction(FIXTURE), RewardFolderError, 'a causal LM is not a reward');
  });
});

/** transformers' logits of one request to test/python/load_in_transformers.py; null when there is no Python to run it. */
function transformersLogits(request: unknown): number[][] | null {
  const result = runPythonScript(join(projectRoot, 'test', 'python', 'load_in_transformers.py'), [request]);
  return 'skip' in result ? null : (JSON.parse(result.stdout) as { logits: number[][] }[])[0]!.logits;
}

describe("a saved 'last'-pooling reward in transformers", () => {
  it('AutoModelForSequenceClassification gives the same scores', (t) => {
    const model = RewardModel.fromCausalLM(lm, { pooling: 'last', rng: new Rng(10), padTokenId: PAD });
    const folder = join(dir, 'for-transformers');
    saveRewardModel(model, folder, { tokenizerFrom: FIXTURE });
    const width = Math.max(...rows.map((r) => r.length));
    const logits = transformersLogits({
      folder, task: 'sequence-classifier',
      input_ids: rows.map((r) => [...r, ...new Array<number>(width - r.length).fill(PAD)]),
      attention_mask: rows.map((r) => [...new Array<number>(r.length).fill(1), ...new Array<number>(width - r.length).fill(0)]),
    });
    if (!logits) {
      t.skip('no Python with torch and transformers (set IRLENS_PYTHON to one to run this test)');
      return;
    }
    const error = maxError(logits.map((row) => row[0]!), loadRewardFunction(folder).score(TEXTS).scores);
    t.diagnostic(`max |transformers − irlens| = ${error.toExponential(2)}`);
    assert.ok(error <= 1e-5);
  });
});
