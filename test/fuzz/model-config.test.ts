/**
 * Fuzzing config.json reading with the fixtures' configs (GPT-NeoX, Llama, RoBERTa) mutated as
 * bytes and as JSON, and configs made up from the keys irlens reads: each input ends in a
 * consistent model config or a ConfigError.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import fc from 'fast-check';
import { ConfigError, SUPPORTED_MODEL_TYPES, readConfig, type ModelConfig } from '../../src/io/index.js';
import { fixture, scratch } from '../io/helpers.js';
import { Sample, fuzz, jsonText, mutatedBytes, mutatedJson, nastyJsonValue, utf8, writeInput } from './harness.js';

const folder = scratch();
after(folder.cleanup);

const FIXTURES = ['gpt-neox-tiny', 'llama-tiny', 'roberta-tiny-classifier'];
const texts = FIXTURES.map((name) => new Sample(readFileSync(fixture(name, 'config.json')), `${name}/config.json`));
const jsons = texts.map((sample) => ({ value: JSON.parse(Buffer.from(sample.bytes).toString('utf8')) as unknown, name: sample.recipe }));

const KEYS = [
  'model_type', 'architectures', 'vocab_size', 'hidden_size', 'num_hidden_layers', 'num_attention_heads', 'intermediate_size',
  'max_position_embeddings', 'num_key_value_heads', 'head_dim', 'rotary_pct', 'partial_rotary_factor', 'rope_theta', 'rotary_emb_base',
  'rope_scaling', 'rope_parameters', 'hidden_act', 'layer_norm_eps', 'rms_norm_eps', 'eos_token_id', 'pad_token_id', 'bos_token_id',
  'id2label', 'label2id', 'num_labels', 'problem_type', 'torch_dtype', 'dtype', 'tie_word_embeddings', 'pretraining_tp', 'quantization_config',
];
const plausible = fc.oneof(
  fc.constantFrom(...SUPPORTED_MODEL_TYPES, 'bert', 'gelu', 'silu', 'float16', 'regression', 'default', 'linear'),
  fc.integer({ min: -2, max: 64 }),
  fc.constantFrom({ '0': 'a', '1': 'b' }, { a: 0, b: 1 }, { rope_type: 'default', rope_theta: 10 }, { type: 'linear', factor: 2 }, [1, 2]),
  nastyJsonValue,
);
const madeUp = fc.dictionary(fc.constantFrom(...KEYS), plausible, { maxKeys: KEYS.length }).map((config) => new Sample(utf8(jsonText(config)), `config ${jsonText(config).slice(0, 300)}`));
const editedJson = fc.oneof(...jsons.map(({ value, name }) => mutatedJson(value).map(({ value: edited, recipe }) => new Sample(utf8(jsonText(edited)), `${name}: ${recipe}`))));

function checkConfig(result: unknown): void {
  const config = result as ModelConfig;
  assert.ok(SUPPORTED_MODEL_TYPES.includes(config.modelType));
  for (const size of [config.vocabSize, config.hiddenSize, config.numHiddenLayers, config.numAttentionHeads, config.intermediateSize, config.headDim]) {
    assert.ok(Number.isSafeInteger(size) && size > 0, `sizes are positive integers (${size})`);
  }
  assert.equal(Object.keys(config.id2label).length, config.numLabels);
}

test('config.json: every input ends in a model config or a ConfigError', async (t) => {
  await fuzz(t, {
    name: 'config.json',
    inputs: fc.oneof(...texts.map(mutatedBytes), editedJson, madeUp),
    parse(sample: Sample) {
      writeInput(join(folder.dir, 'config.json'), sample.bytes);
      return readConfig(folder.dir);
    },
    refusals: [ConfigError],
    bytes: (sample) => sample.bytes.byteLength,
    check: checkConfig,
  });
});
