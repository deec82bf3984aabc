import { strict as assert } from 'node:assert';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseConfig, readConfig, writeConfig, type GptNeoxConfig, type LlamaConfig, type RobertaConfig } from '../../src/io/config.js';
import { ConfigError } from '../../src/io/errors.js';
import { fixture, scratch } from './helpers.js';

const fixtureJson = (folder: string): Record<string, unknown> => JSON.parse(readFileSync(fixture(folder, 'config.json'), 'utf8'));

function assertConfigError(fn: () => unknown, ...parts: RegExp[]): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    for (const part of parts) assert.match(error.message, part);
    return true;
  });
}

describe('config parsing of the fixtures', () => {
  it('reads the legacy gpt_neox config that Pythia checkpoints carry', () => {
    for (const folder of ['gpt-neox-tiny', 'gpt-neox-tiny-fp16', 'gpt-neox-tiny-sharded', 'gpt-neox-tiny-bin']) {
      const config = readConfig(fixture(folder)) as GptNeoxConfig;
      assert.equal(config.modelType, 'gpt_neox');
      assert.deepEqual(config.architectures, ['GPTNeoXForCausalLM']);
      assert.equal(config.vocabSize, 576);
      assert.equal(config.hiddenSize, 64);
      assert.equal(config.numHiddenLayers, 2);
      assert.equal(config.numAttentionHeads, 4);
      assert.equal(config.headDim, 16);
      assert.equal(config.intermediateSize, 256);
      assert.equal(config.partialRotaryFactor, 0.25);
      assert.equal(config.rotaryDims, 4);
      assert.equal(config.ropeTheta, 10000);
      assert.equal(config.hiddenAct, 'gelu');
      assert.equal(config.layerNormEps, 1e-5);
      assert.equal(config.useParallelResidual, true);
      assert.equal(config.tieWordEmbeddings, false);
      assert.equal(config.attentionBias, true, 'transformers defaults attention_bias to true');
      assert.equal(config.maxPositionEmbeddings, 256);
      assert.equal(config.eosTokenId, 0);
    }
    assert.equal(readConfig(fixture('gpt-neox-tiny-fp16')).dtype, 'float16');
  });

  it('reads the llama config with rope_parameters and grouped-query attention', () => {
    const config = readConfig(fixture('llama-tiny')) as LlamaConfig;
    assert.equal(config.modelType, 'llama');
    assert.equal(config.numKeyValueHeads, 2);
    assert.equal(config.headDim, 16);
    assert.equal(config.rmsNormEps, 1e-5);
    assert.equal(config.ropeTheta, 10000);
    assert.equal(config.hiddenAct, 'silu');
    assert.equal(config.tieWordEmbeddings, true);
    assert.equal(config.attentionBias, false);
    assert.equal(config.mlpBias, false);
    assert.equal(config.intermediateSize, 172);
    assert.equal(config.padTokenId, 1);
  });

  it('reads the roberta classifier config with its labels', () => {
    const config = readConfig(fixture('roberta-tiny-classifier', 'config.json')) as RobertaConfig;
    assert.equal(config.modelType, 'roberta');
    assert.equal(config.numLabels, 2);
    assert.deepEqual(config.id2label, { 0: 'neutral', 1: 'toxic' });
    assert.deepEqual(config.label2id, { neutral: 0, toxic: 1 });
    assert.equal(config.problemType, null);
    assert.equal(config.padTokenId, 1);
    assert.equal(config.typeVocabSize, 1);
    assert.equal(config.layerNormEps, 1e-12);
    assert.equal(config.maxPositionEmbeddings, 130);
    assert.equal(config.positionEmbeddingType, 'absolute');
    assert.equal(config.classifierDropout, null);
  });
});

describe('config spellings and defaults', () => {
  it('reads gpt_neox rope_parameters (transformers 5) the same as rotary_pct / rotary_emb_base', () => {
    const legacy = fixtureJson('gpt-neox-tiny');
    const { rotary_pct: _pct, rotary_emb_base: _base, ...rest } = legacy;
    const modern = { ...rest, rope_parameters: { rope_type: 'default', rope_theta: 10000, partial_rotary_factor: 0.25 } };
    assert.deepEqual(parseConfig(modern), parseConfig(legacy));
    const custom = parseConfig({ ...rest, rope_parameters: { rope_type: 'default', rope_theta: 500, partial_rotary_factor: 0.5 } }) as GptNeoxConfig;
    assert.equal(custom.ropeTheta, 500);
    assert.equal(custom.rotaryDims, 8);
    const topLevel = parseConfig({ ...rest, partial_rotary_factor: 1, rope_theta: 1234 }) as GptNeoxConfig;
    assert.equal(topLevel.rotaryDims, 16);
    assert.equal(topLevel.ropeTheta, 1234);
  });

  it('reads llama rope_theta with rope_scaling null (transformers 4) and fills defaults', () => {
    const { rope_parameters: _rope, head_dim: _head, num_key_value_heads: _kv, ...rest } = fixtureJson('llama-tiny');
    const config = parseConfig({ ...rest, rope_theta: 500000, rope_scaling: null }) as LlamaConfig;
    assert.equal(config.ropeTheta, 500000);
    assert.equal(config.headDim, 16);
    assert.equal(config.numKeyValueHeads, 4);
    assert.deepEqual(parseConfig({ ...rest, eos_token_id: [1, 2] }).eosTokenId, [1, 2]);
  });

  it('derives num_labels from id2label and defaults labels like transformers', () => {
    const base = fixtureJson('roberta-tiny-classifier');
    const { id2label: _i, label2id: _l, ...plain } = base;
    const defaults = parseConfig(plain);
    assert.equal(defaults.numLabels, 2);
    assert.deepEqual(defaults.id2label, { 0: 'LABEL_0', 1: 'LABEL_1' });
    const single = parseConfig({ ...plain, num_labels: 1, problem_type: 'regression' });
    assert.equal(single.numLabels, 1);
    assert.equal(single.problemType, 'regression');
  });
});

describe('config refusals', () => {
  const roberta = fixtureJson('roberta-tiny-classifier');
  const llama = fixtureJson('llama-tiny');
  const neox = fixtureJson('gpt-neox-tiny');

  it('refuses a relative position embedding for roberta, naming key, value and what is supported', () => {
    assertConfigError(() => parseConfig({ ...roberta, position_embedding_type: 'relative_key' }, 'x/config.json'), /x\/config.json/, /"position_embedding_type" is "relative_key"/, /supports "absolute"/);
  });

  it('refuses rope scaling it does not implement', () => {
    assertConfigError(() => parseConfig({ ...llama, rope_parameters: { rope_type: 'llama3', rope_theta: 500000, factor: 8 } }), /"rope_parameters" has rope_type "llama3"/, /rope_type "default"/);
    assertConfigError(() => parseConfig({ ...llama, rope_scaling: { type: 'linear', factor: 2 } }), /"rope_scaling" has rope_type "linear"/);
    assertConfigError(() => parseConfig({ ...neox, rope_scaling: { type: 'dynamic', factor: 2 } }), /"rope_scaling" has rope_type "dynamic"/);
  });

  it('refuses other unsupported settings with the key and its value', () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ ...neox, model_type: 'gpt2' }, /"model_type" is "gpt2"; irlens implements "gpt_neox", "roberta", "llama"/],
      [{ ...neox, hidden_act: 'quick_gelu' }, /"hidden_act" is "quick_gelu".*supports "gelu", "gelu_new"/],
      [{ ...llama, hidden_act: 'gelu' }, /"hidden_act" is "gelu".*supports "silu"/],
      [{ ...llama, pretraining_tp: 2 }, /"pretraining_tp" is 2/],
      [{ ...llama, num_key_value_heads: 3 }, /not a multiple of "num_key_value_heads" 3/],
      [{ ...neox, hidden_size: 66 }, /"hidden_size" 66 is not divisible by "num_attention_heads" 4/],
      [{ ...neox, rotary_pct: 0.1 }, /rotary embeddings would cover 1 of the 16 head dimensions/],
      [{ ...neox, quantization_config: { quant_method: 'gptq' } }, /"quantization_config" is .*unquantized weights only/],
      [{ ...roberta, is_decoder: true }, /"is_decoder" is true/],
      [{ ...roberta, add_cross_attention: true }, /"add_cross_attention" is true/],
      [{ ...roberta, num_labels: 3 }, /"num_labels" is 3 but "id2label" names 2 classes/],
      [{ ...roberta, label2id: { neutral: 1, toxic: 0 } }, /"label2id" maps "neutral" to 1, which disagrees with "id2label"/],
      [{ ...roberta, problem_type: 'ranking' }, /"problem_type" is "ranking"/],
      [{ ...neox, hidden_size: undefined }, /"hidden_size" is missing; expected a positive integer/],
      [{ ...neox, num_hidden_layers: 2.5 }, /"num_hidden_layers" is 2.5; expected a positive integer/],
      [{ ...neox, use_parallel_residual: 'yes' }, /"use_parallel_residual" is "yes"; expected true or false/],
    ];
    for (const [json, problem] of cases) assertConfigError(() => parseConfig(json), problem);
  });

  it('refuses a value nested 100,000 deep with a short message (found by fuzzing: it overflowed the stack)', () => {
    const deep = JSON.parse('['.repeat(100_000) + ']'.repeat(100_000)) as unknown;
    assertConfigError(() => parseConfig({ ...neox, architectures: deep }), /"architectures" is \[{80}…; expected a list of class names/);
    assertConfigError(() => parseConfig({ ...neox, hidden_act: deep }), /"hidden_act" is \[{80}…, which irlens does not implement/);
  });

  it('refuses unreadable config files, naming them', () => {
    const { dir, cleanup } = scratch();
    try {
      const file = join(dir, 'config.json');
      writeFileSync(file, '{"model_type": "llama",');
      assertConfigError(() => readConfig(dir), new RegExp(`${file}: is not valid JSON`));
      assertConfigError(() => readConfig(join(dir, 'missing')), /missing\/config.json: cannot read the config \(ENOENT\)/);
    } finally {
      cleanup();
    }
  });
});

describe('writeConfig', () => {
  it('writes a config.json that reads back to the same config, with the keys transformers needs', () => {
    for (const folder of ['gpt-neox-tiny', 'llama-tiny', 'roberta-tiny-classifier']) {
      const { dir, cleanup } = scratch();
      try {
        const config = readConfig(fixture(folder));
        writeConfig(dir, config);
        assert.deepEqual(readdirSync(dir), ['config.json'], 'no temporary file is left behind');
        const json = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
        assert.equal(json.model_type, config.modelType);
        assert.deepEqual(json.architectures, config.architectures);
        assert.equal(json.torch_dtype, 'float32');
        assert.deepEqual(readConfig(dir), { ...config, dtype: 'float32' });
        // Every key the fixture sets to something that matters is written with the same value.
        const original = fixtureJson(folder);
        for (const key of ['vocab_size', 'hidden_size', 'num_hidden_layers', 'num_attention_heads', 'intermediate_size', 'hidden_act', 'tie_word_embeddings', 'max_position_embeddings']) {
          assert.deepEqual(json[key], original[key], `${folder}: ${key}`);
        }
      } finally {
        cleanup();
      }
    }
  });

  it('writes the rotary settings in the spelling every transformers version reads', () => {
    const { dir, cleanup } = scratch();
    try {
      writeConfig(join(dir, 'config.json'), readConfig(fixture('gpt-neox-tiny')));
      const neox = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
      assert.equal(neox.rotary_pct, 0.25);
      assert.equal(neox.rotary_emb_base, 10000);
      writeConfig(dir, readConfig(fixture('llama-tiny')));
      const llama = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
      assert.equal(llama.rope_theta, 10000);
      assert.equal(llama.rope_scaling, null);
      assert.equal(llama.num_key_value_heads, 2);
    } finally {
      cleanup();
    }
  });
});
