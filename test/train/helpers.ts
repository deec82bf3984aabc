import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { parseConfig, type RobertaConfig } from '../../src/io/index.js';
import { RobertaForSequenceClassification } from '../../src/models/roberta.js';
import { Rng, initWeights, type Module } from '../../src/nn/index.js';
import { Tokenizer } from '../../src/text/index.js';
import { loadLatestTrainingCheckpoint, type TrainMetrics } from '../../src/train/index.js';
import { fixture } from '../helpers/fixtures.js';

/** A fresh temporary folder, removed after the test file. */
export function temporaryDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'irlens-train-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export const gptTokenizer = (): Tokenizer => Tokenizer.fromFolder(fixture('gpt-neox-tiny'));
export const robertaTokenizer = (): Tokenizer => Tokenizer.fromFolder(fixture('roberta-tiny-classifier'));

/** A small RoBERTa classifier built from scratch: hidden 32, 2 layers, two labels. */
export function tinyRoberta(tokenizer: Tokenizer, seed: number, options: { dropout?: number; dropoutRng?: Rng } = {}): RobertaForSequenceClassification {
  const config = parseConfig({
    model_type: 'roberta', vocab_size: tokenizer.vocabSize, hidden_size: 32, num_hidden_layers: 2, num_attention_heads: 4,
    intermediate_size: 64, max_position_embeddings: 66, pad_token_id: tokenizer.padTokenId, hidden_dropout_prob: options.dropout ?? 0,
    attention_probs_dropout_prob: 0, id2label: { 0: 'friendly', 1: 'rude' },
  }) as RobertaConfig;
  const model = new RobertaForSequenceClassification(config, { dropoutRng: options.dropoutRng });
  initWeights(model, new Rng(seed), { std: config.initializerRange });
  return model;
}

/** Short texts of two kinds, alternating: friendly (label 0) and rude (label 'rude', i.e. 1). */
export function twoKindsOfText(count: number, seed: number): { text: string; label: number | string }[] {
  const rng = new Rng(seed);
  const pick = (words: string[]) => words[rng.int(words.length)]!;
  const friendly = () => `${pick(['what a', 'such a', 'thank you for the', 'I enjoyed the'])} ${pick(['lovely', 'kind', 'wonderful', 'pleasant', 'nice'])} ${pick(['day', 'talk', 'garden', 'walk', 'letter'])}`;
  const rude = () => `${pick(['you are a', 'shut up you', 'what a', 'go away you'])} ${pick(['stupid', 'worthless', 'pathetic', 'dumb', 'ugly'])} ${pick(['idiot', 'fool', 'loser', 'clown', 'day'])}`;
  return Array.from({ length: count }, (_, i) => (i % 2 === 0 ? { text: friendly(), label: 0 } : { text: rude(), label: 'rude' }));
}

/** Every parameter's values, by name (copies). */
export function weightsOf(model: Module): Map<string, Float32Array> {
  return new Map(model.namedParameters().map(([name, p]) => [name, p.data.slice()]));
}

/** Asserts two weight maps are identical bit for bit. */
export function sameBits(a: Map<string, Float32Array>, b: Map<string, Float32Array>): boolean {
  if (a.size !== b.size) return false;
  for (const [name, values] of a) {
    const other = b.get(name);
    if (!other || !Buffer.from(values.buffer).equals(Buffer.from(other.buffer))) return false;
  }
  return true;
}

/** Metrics without the timing, which differs from run to run. */
export const withoutTiming = ({ tokensPerSecond: _, ...rest }: TrainMetrics): Omit<TrainMetrics, 'tokensPerSecond'> => rest;

/**
 * Asserts that `dir` holds one checkpoint, of `step`, whose weights are `expected` bit for bit,
 * and nothing else (no newer folder, no temporary): what a run that diverged after it must leave.
 */
export function assertOnlyCheckpoint(dir: string, step: number, expected: Map<string, Float32Array>): void {
  const name = `step-${String(step).padStart(8, '0')}`;
  assert.deepEqual(readdirSync(dir), [name]);
  const saved = loadLatestTrainingCheckpoint(dir)!;
  assert.equal(saved.step, step);
  assert.ok(sameBits(new Map([...saved.weights].map(([key, record]) => [key, record.data as Float32Array])), expected), `the weights saved at step ${step} are unchanged`);
}
