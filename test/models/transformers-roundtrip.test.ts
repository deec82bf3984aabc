/**
 * Models irlens saves open in transformers and compute the same logits there.
 *
 * Every architecture in the registry is built small, with random weights (every parameter,
 * biases and norms included, perturbed so none sits at its initial value), saved with saveModel,
 * loaded by test/python/load_in_transformers.py through AutoModelForCausalLM /
 * AutoModelForSequenceClassification, and its logits compared with irlens's.
 *
 * It needs a Python with torch and transformers (test/helpers/python.ts says which it looks for).
 * Without one the tests report themselves skipped, except in CI (CI=true, as .ci/run sets with the
 * venv it builds), where they fail; a model type the test has no small config for fails, so that a
 * new architecture is not silently left out.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseConfig, type ModelConfig, type ModelType } from '../../src/io/index.js';
import { ARCHITECTURES, type Architecture } from '../../src/models/registry.js';
import { saveModel } from '../../src/models/save.js';
import { Rng, initWeights, type Module } from '../../src/nn/index.js';
import * as T from '../../src/tensor/index.js';
import { projectRoot } from '../helpers/fixtures.js';
import { runPythonScript } from '../helpers/python.js';

const TOLERANCE = 1e-4;
const SCRIPT = join(projectRoot, 'test', 'python', 'load_in_transformers.py');
const PAD = 1;

/** A small config of each model type, as config.json keys; a new model type needs one here. */
const SMALL_CONFIGS: Record<ModelType, Record<string, unknown>> = {
  gpt_neox: {
    vocab_size: 96, hidden_size: 32, num_hidden_layers: 2, num_attention_heads: 4, intermediate_size: 64,
    max_position_embeddings: 64, rotary_pct: 0.5, use_parallel_residual: true, pad_token_id: PAD,
  },
  llama: {
    vocab_size: 96, hidden_size: 32, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2,
    intermediate_size: 48, max_position_embeddings: 64, rms_norm_eps: 1e-5, tie_word_embeddings: true, pad_token_id: PAD,
  },
  roberta: {
    vocab_size: 96, hidden_size: 32, num_hidden_layers: 2, num_attention_heads: 4, intermediate_size: 64,
    max_position_embeddings: 40, type_vocab_size: 1, pad_token_id: PAD, hidden_dropout_prob: 0, attention_probs_dropout_prob: 0,
  },
};

/** Causal LMs read unpadded rows (transformers numbers positions 0..t-1 without position_ids); classifiers right-padded ones. */
const CAUSAL_IDS = [[5, 17, 42, 90, 3, 77, 12], [8, 8, 60, 11, 64, 33, 95]];
const CLASSIFIER_IDS = [[0, 17, 42, 90, 30, 77, 2], [0, 8, 60, 2, PAD, PAD, PAD], [0, 50, 2, PAD, PAD, PAD, PAD]];
const CLASSIFIER_MASK = CLASSIFIER_IDS.map((row) => row.map((id, i) => (id === PAD && i > 0 ? 0 : 1)));

interface Answer {
  class: string;
  logits: unknown;
  missing_keys: string[];
  unexpected_keys: string[];
  mismatched_keys: string[];
}

/** The answers of load_in_transformers.py, or why there is no Python to run it with. */
function runInTransformers(requests: unknown[]): { answers: Answer[] } | { skip: string } {
  const result = runPythonScript(SCRIPT, requests);
  return 'skip' in result ? result : { answers: JSON.parse(result.stdout) as Answer[] };
}

function smallModel(architecture: Architecture, seed: number): { model: Module; config: ModelConfig } {
  const json = { model_type: architecture.modelType, architectures: [architecture.name], num_labels: 3, ...SMALL_CONFIGS[architecture.modelType] };
  const config = parseConfig(json, `${architecture.name} test config`);
  const model = architecture.create(config);
  const rng = new Rng(seed);
  initWeights(model, rng, { std: 0.1 });
  for (const p of model.parameters()) for (let i = 0; i < p.data.length; i++) p.data[i]! += rng.normal(0, 0.05);
  model.eval();
  return { model, config };
}

interface Forward {
  forward(inputs: { inputIds: T.Tensor; attentionMask?: T.Tensor }): { logits: T.Tensor };
}

describe('models saved by irlens load in transformers with the same logits', () => {
  const tested = ARCHITECTURES.filter((a) => a.modelType in SMALL_CONFIGS);
  let dir = '';
  let outcome: { answers: Map<string, Answer> } | { skip: string } | { error: unknown } = { skip: 'not run' };
  const ours = new Map<string, { logits: Float32Array; shape: readonly number[] }>();

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'irlens-roundtrip-'));
    try {
      const requests = tested.map((architecture, index) => {
        const { model, config } = smallModel(architecture, 100 + index);
        const folder = join(dir, architecture.name);
        saveModel(model, config, folder);
        const causal = architecture.kind === 'causal-lm';
        const ids = causal ? CAUSAL_IDS : CLASSIFIER_IDS;
        const mask = causal ? undefined : CLASSIFIER_MASK;
        const logits = T.noGrad(() => (model as unknown as Forward).forward({
          inputIds: T.idTensor(ids),
          ...(mask ? { attentionMask: T.idTensor(mask) } : {}),
        }).logits);
        ours.set(architecture.name, { logits: logits.data.slice(), shape: logits.shape });
        return { folder, task: architecture.kind, input_ids: ids, ...(mask ? { attention_mask: mask } : {}) };
      });
      const result = runInTransformers(requests);
      outcome = 'skip' in result ? result : { answers: new Map(tested.map((a, i) => [a.name, result.answers[i]!])) };
    } catch (error) {
      outcome = { error };
    }
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const architecture of ARCHITECTURES) {
    it(`${architecture.name} (${architecture.kind})`, (t) => {
      if (!(architecture.modelType in SMALL_CONFIGS)) {
        assert.fail(`no small config for model type ${architecture.modelType}; add one to SMALL_CONFIGS in test/models/transformers-roundtrip.test.ts`);
      }
      if ('skip' in outcome) {
        t.skip(outcome.skip);
        return;
      }
      if ('error' in outcome) throw outcome.error;
      const answer = outcome.answers.get(architecture.name);
      assert.ok(answer, 'transformers gave no answer for this model');
      assert.equal(answer.class, architecture.name, 'transformers loads the class config.json names');
      assert.deepEqual(answer.missing_keys, [], 'weights transformers expected but the file lacks');
      assert.deepEqual(answer.unexpected_keys, [], 'weights in the file that transformers does not expect');
      assert.deepEqual(answer.mismatched_keys, [], 'weights whose shapes transformers does not expect');
      const expected = Float32Array.from((answer.logits as number[]).flat(2) as number[]);
      const actual = ours.get(architecture.name)!;
      assert.equal(expected.length, actual.logits.length, `transformers' logits have ${expected.length} values, irlens's [${actual.shape.join(', ')}]`);
      let worst = 0;
      for (let i = 0; i < expected.length; i++) {
        const error = Math.abs(actual.logits[i]! - expected[i]!) / Math.max(1, Math.abs(expected[i]!));
        worst = Number.isNaN(error) ? Infinity : Math.max(worst, error);
      }
      t.diagnostic(`max |a−b|/max(1,|b|) = ${worst.toExponential(2)} over [${actual.shape.join(', ')}] logits`);
      assert.ok(worst <= TOLERANCE, `logits differ from transformers' by up to ${worst}`);
    });
  }
});
