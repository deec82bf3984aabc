/**
 * The engine's benchmark: the workloads of ../shared/bench/torch_peer.py, printed as one JSON
 * object with the same keys on the last line of output, so the two can be compared in one run.
 *
 *   npm run bench [-- --reps N] [--only key1,key2]
 */
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { RobertaForSequenceClassification } from '../src/models/roberta.js';
import { AdamW, Rng, initWeights } from '../src/nn/index.js';
import * as T from '../src/tensor/index.js';
import { randomPythia70m, robertaBaseConfig } from './shapes.js';

const { values } = parseArgs({ options: { reps: { type: 'string', default: '5' }, only: { type: 'string', default: '' } } });
const reps = Number(values.reps);
const only = new Set(values.only!.split(',').filter(Boolean));
const want = (key: string) => only.size === 0 || only.has(key);

/** Median of `reps` timed runs after one warm-up, in seconds. */
function timed(fn: () => void, count = reps): number {
  fn();
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const start = performance.now();
    fn();
    times.push((performance.now() - start) / 1000);
  }
  times.sort((a, b) => a - b);
  const mid = times.length >> 1;
  return times.length % 2 ? times[mid]! : (times[mid - 1]! + times[mid]!) / 2;
}

const backend = T.currentBackend();
const out: Record<string, number | string> = { backend: backend.name };
const rng = new Rng(0);

if (want('matmul_gflops')) {
  const a = T.tensor(Float32Array.from({ length: 512 * 2048 }, () => rng.normal()), [512, 2048]);
  const b = T.tensor(Float32Array.from({ length: 2048 * 2048 }, () => rng.normal()), [2048, 2048]);
  // The product is freed at once, as torch frees an unreferenced result.
  const seconds = timed(() => T.noGrad(() => T.matmul(a, b)).dispose(), Math.max(reps, 20));
  out.matmul_gflops = (2 * 512 * 2048 * 2048) / seconds / 1e9;
}

if (want('train_step_s') || want('forward_s')) {
  const model = randomPythia70m(rng);
  const ids = T.idTensor(Int32Array.from({ length: 8 * 64 }, () => rng.int(50304)), [8, 64]);
  // The causal-LM loss: each position predicts the next token.
  const inputs = T.idTensor(ids.ids, [8, 64]);
  const labels = T.idTensor(Int32Array.from({ length: 8 * 64 }, (_, i) => (i % 64 === 63 ? -100 : ids.ids[i + 1]!)), [8, 64]);
  if (want('train_step_s')) {
    const optimizer = new AdamW(model.parameters(), { lr: 1e-5 });
    out.train_step_s = timed(() => {
      // One scope per step: activations and gradients are freed as soon as the step is done.
      T.tidy(() => T.crossEntropy(model.forward({ inputIds: inputs }).logits, labels).backward());
      optimizer.step();
      optimizer.zeroGrad();
    });
  }
  if (want('forward_s')) {
    out.forward_s = timed(() => T.tidy(() => T.noGrad(() => model.forward({ inputIds: inputs }).logits)).dispose());
  }
  model.dispose(); // as the peer's `del m`
}

if (want('generate_tok_s')) out.generate_tok_s = (await import('./generate.js')).measureGenerate(reps);

if (want('classifier_texts_s')) {
  const config = robertaBaseConfig();
  const classifier = new RobertaForSequenceClassification(config);
  initWeights(classifier, rng, { std: config.initializerRange });
  classifier.eval();
  const texts = T.idTensor(Int32Array.from({ length: 32 * 64 }, () => 3 + rng.int(50265 - 3)), [32, 64]);
  out.classifier_texts_s = 32 / timed(() => T.tidy(() => T.noGrad(() => classifier.forward({ inputIds: texts }).logits)).dispose());
  classifier.dispose();
}

if (want('irl_step_s')) {
  const irl = (await import('./irl.js')).irlStep();
  out.irl_step_s = timed(irl.step);
  irl.dispose();
}

if (want('ppo_step_s')) {
  const { ppoIteration } = await import('./ppo.js');
  const ppo = ppoIteration();
  out.ppo_step_s = timed(ppo.iterate, Math.max(1, reps >> 1)); // the peer times max(1, reps // 2)
  ppo.dispose();
}

out.peak_rss_mb = process.resourceUsage().maxRSS / 1024;
console.log(JSON.stringify(out));
