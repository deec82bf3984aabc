import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CheckpointError, readSafetensorsHeader } from '../../src/io/index.js';
import { loadModel, type LoadedModel } from '../../src/models/load.js';
import { saveModel } from '../../src/models/save.js';
import type { Module } from '../../src/nn/index.js';
import * as T from '../../src/tensor/index.js';
import { fixture } from '../helpers/fixtures.js';

interface Forward {
  forward(inputs: { inputIds: T.Tensor; attentionMask?: T.Tensor }): { logits: T.Tensor };
}

const logitsOf = (model: Module, ids: number[][]): Float32Array =>
  T.noGrad(() => (model as unknown as Forward).forward({ inputIds: T.idTensor(ids) }).logits.data.slice());

const ids = [[5, 17, 42, 99, 3], [7, 7, 200, 11, 64]];

/** A model whose weights cannot be read: saving it fails while writing model.safetensors. */
function brokenCopy(model: Module): Module {
  const broken = Object.create(model) as Module;
  const failing = { shape: [1], get data(): Float32Array { throw new Error('disk full (simulated)'); } };
  Object.defineProperty(broken, 'namedParameters', { value: () => [...model.namedParameters(), ['boom', failing]] });
  return broken;
}

describe('saveModel', () => {
  let dir: string;
  let neox: LoadedModel;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'irlens-save-'));
    neox = loadModel(fixture('gpt-neox-tiny'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('writes a Hugging Face folder that loads back with identical logits', () => {
    const folder = join(dir, 'neox');
    saveModel(neox.model, neox.config, folder, { tokenizerFrom: fixture('gpt-neox-tiny') });
    assert.deepEqual(readdirSync(folder).sort(), ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']);
    const config = JSON.parse(readFileSync(join(folder, 'config.json'), 'utf8')) as Record<string, unknown>;
    assert.deepEqual(config.architectures, ['GPTNeoXForCausalLM']);
    assert.equal(config.model_type, 'gpt_neox');
    const header = readSafetensorsHeader(join(folder, 'model.safetensors'));
    assert.deepEqual(header.metadata, { format: 'pt' });
    assert.ok(header.entries.every((e) => e.dtype === 'F32'));
    assert.deepEqual(header.entries.map((e) => e.name).sort(), neox.model.namedParameters().map(([n]) => n).sort());
    assert.equal(readFileSync(join(folder, 'tokenizer.json'), 'utf8'), readFileSync(fixture('gpt-neox-tiny', 'tokenizer.json'), 'utf8'));

    const reloaded = loadModel(folder);
    assert.equal(reloaded.architecture.name, 'GPTNeoXForCausalLM');
    assert.deepEqual(logitsOf(reloaded.model, ids), logitsOf(neox.model, ids));
  });

  it('stores a tied weight once, under the name transformers keeps', () => {
    const llama = loadModel(fixture('llama-tiny'));
    assert.equal(llama.config.tieWordEmbeddings, true);
    const folder = join(dir, 'llama');
    saveModel(llama.model, llama.config, folder);
    const names = readSafetensorsHeader(join(folder, 'model.safetensors')).entries.map((e) => e.name);
    assert.ok(names.includes('model.embed_tokens.weight'));
    assert.ok(!names.includes('lm_head.weight'));
    assert.deepEqual(logitsOf(loadModel(folder).model, ids), logitsOf(llama.model, ids));
  });

  it('leaves nothing behind when the weights cannot be written', () => {
    const folder = join(dir, 'never');
    assert.throws(() => saveModel(brokenCopy(neox.model), neox.config, folder), /disk full \(simulated\)/);
    assert.ok(!existsSync(folder));
    assert.deepEqual(readdirSync(dir).filter((name) => name.startsWith('.')), [], 'no temporary folders are left');
  });

  it('keeps the previous checkpoint when a save over it fails, and replaces it when one succeeds', () => {
    const folder = join(dir, 'replace');
    saveModel(neox.model, neox.config, folder, { tokenizerFrom: fixture('gpt-neox-tiny') });
    const before = readFileSync(join(folder, 'model.safetensors'));
    assert.throws(() => saveModel(brokenCopy(neox.model), neox.config, folder), /simulated/);
    assert.deepEqual(readFileSync(join(folder, 'model.safetensors')), before);
    assert.ok(existsSync(join(folder, 'tokenizer.json')));
    assert.deepEqual(readdirSync(dir).filter((name) => name.startsWith('.')), []);

    saveModel(neox.model, neox.config, folder);
    assert.deepEqual(readdirSync(folder).sort(), ['config.json', 'model.safetensors'], 'the new folder replaces the old one whole');
    assert.deepEqual(readdirSync(dir).filter((name) => name.startsWith('.')), []);
  });

  it('refuses, with typed errors, what it cannot save', () => {
    const notAModel = join(dir, 'documents');
    mkdirSync(notAModel);
    writeFileSync(join(notAModel, 'notes.txt'), 'keep me');
    assert.throws(() => saveModel(neox.model, neox.config, notAModel), (e: unknown) =>
      e instanceof CheckpointError && /is not a model folder/.test(e.message));
    assert.equal(readFileSync(join(notAModel, 'notes.txt'), 'utf8'), 'keep me');

    assert.throws(() => saveModel(neox.model, neox.config, join(dir, 'no', 'parent')), (e: unknown) =>
      e instanceof CheckpointError && /parent folder/.test(e.message));

    const noTokenizer = join(dir, 'no-tokenizer');
    assert.throws(() => saveModel(neox.model, neox.config, noTokenizer, { tokenizerFrom: dir }), (e: unknown) =>
      e instanceof CheckpointError && /no tokenizer\.json/.test(e.message));
    assert.ok(!existsSync(noTokenizer));

    const llamaConfig = loadModel(fixture('llama-tiny')).config;
    assert.throws(() => saveModel(neox.model, llamaConfig, join(dir, 'mismatch')), (e: unknown) =>
      e instanceof CheckpointError && /GPTNeoXForCausalLM: is not an architecture irlens can save for model type llama/.test(e.message));
  });
});
