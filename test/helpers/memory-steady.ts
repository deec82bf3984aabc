// Trains a small GPT-NeoX for 10 warm-up steps, then 50 more in blocks of 10, printing the
// resident memory after each phase as JSON: { warmMb, afterBlocksMb: [...] }.
import { setTimeout as sleep } from 'node:timers/promises';
import { seededModel, tinyConfig, train } from './tiny-gpt.js';

const exposedGc = (globalThis as { gc?: () => void }).gc;
if (!exposedGc) throw new Error('run with --expose-gc');
const gc = exposedGc;

/** RSS after full collections, once array buffers freed in the background have been released. */
async function settledRssMb(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    gc();
    await sleep(20);
  }
  return process.memoryUsage().rss / 2 ** 20;
}

const config = tinyConfig({ vocab_size: 2000, hidden_size: 128, num_attention_heads: 4, intermediate_size: 512 });
const model = seededModel(config, 1);
const tokens = Array.from({ length: 5000 }, (_, i) => (i * 7919) % 2000);
const options = { batch: 8, t: 64, lr: 1e-3, seed: 1 };
train(model, tokens, { ...options, steps: 10 });
const warmMb = await settledRssMb();
const afterBlocksMb: number[] = [];
for (let block = 0; block < 5; block++) {
  train(model, tokens, { ...options, steps: 10 });
  afterBlocksMb.push(await settledRssMb());
}
console.log(JSON.stringify({ warmMb, afterBlocksMb }));
