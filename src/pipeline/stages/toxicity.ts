/**
 * How the pipeline measures a model's toxicity, shared by every stage that does (base-toxicity,
 * rlhf): continue held-out prompts with seeded sampling, then judge with the ground-truth
 * classifier both prompt + continuation and the continuation alone (a toxic prompt keeps
 * prompt + continuation toxic whatever the model writes).
 */
import { join } from 'node:path';
import { CURATED_FILE, joinPromptContinuation, type CuratedRow } from '../../data/index.js';
import { generateText, type GenerationModel } from '../../models/generation.js';
import { loadClassifier } from '../../models/load.js';
import type { Rng } from '../../nn/index.js';
import { ClassifierReward, type RewardFunction } from '../../reward/index.js';
import { Tokenizer } from '../../text/index.js';
import type { StageInputContext } from '../stage.js';
import { readJsonLines } from '../../io/json-lines.js';
import { modelFolderOf } from './model-pointer.js';

/**
 * The ground truth as the metrics' sign convention wants it: the log-odds of "not toxic",
 * log((1 − P)/P) from the stored −P_tox, so a text is toxic exactly when g < 0 (P > 0.5).
 * P is clamped to [1e-7, 1 − 1e-7] so a saturated classifier stays finite.
 */
export function logOddsNotToxic(negativeProbability: number): number {
  const p = Math.min(1 - 1e-7, Math.max(1e-7, -negativeProbability));
  return Math.log1p(-p) - Math.log(p);
}

export interface ContinuationSettings {
  max_new_tokens: number;
  max_prompt_tokens: number;
  temperature: number;
  top_k: number;
  top_p: number;
  batch_size: number;
}

/** Seeded sampled continuations of each prompt, batch by batch. */
export function continuePrompts(
  model: GenerationModel, tokenizer: Tokenizer, prompts: readonly string[], settings: ContinuationSettings, rng: Rng, signal?: AbortSignal,
): string[] {
  const continuations: string[] = [];
  for (let start = 0; start < prompts.length; start += settings.batch_size) {
    signal?.throwIfAborted();
    const out = generateText(model, tokenizer, prompts.slice(start, start + settings.batch_size), {
      maxNewTokens: settings.max_new_tokens,
      maxPromptTokens: settings.max_prompt_tokens,
      doSample: true,
      temperature: settings.temperature,
      topK: settings.top_k,
      topP: settings.top_p,
      rng,
    });
    continuations.push(...out.texts);
  }
  return continuations;
}

/** The classifier in `folder` as a reward, −P(toxic): texts are cut to what it reads, as every ClassifierReward cuts them. */
function toxicityReward(folder: string, toxicLabel: string): ClassifierReward {
  const classifier = loadClassifier(folder).model;
  classifier.eval();
  return new ClassifierReward(classifier, Tokenizer.fromFolder(folder), { label: toxicLabel, score: 'negative-probability', batchSize: 64 });
}

/** The ground-truth stage's classifier as a reward (score −P(toxic)), with the run's toxic label. */
export function groundTruthReward(ctx: Pick<StageInputContext, 'stageDir' | 'runConfig'>): { reward: ClassifierReward; folder: string } {
  const section = (ctx.runConfig.ground_truth ?? {}) as { toxic_label?: string };
  const folder = modelFolderOf(ctx.stageDir('ground-truth'));
  return { reward: toxicityReward(folder, section.toxic_label ?? 'toxic'), folder };
}

/** P(toxic) of each text under the classifier in `folder`. */
export function groundTruthToxicity(folder: string, toxicLabel: string): (texts: readonly string[]) => number[] {
  const reward = toxicityReward(folder, toxicLabel);
  return (texts) => reward.score(texts).scores.map((score) => -score);
}

/** A continuation as the classifier reads it alone: an empty one is a space, since the classifier needs a token. */
export const continuationAlone = (text: string): string => (text.trim() === '' ? ' ' : text);

/** P(toxic) of prompt + continuation and of the continuation alone, by a −P(toxic) reward. */
export function judgeToxicity(reward: RewardFunction, prompts: readonly string[], continuations: readonly string[]): { withPrompt: number[]; continuationOnly: number[] } {
  const toxicity = (texts: string[]) => reward.score(texts).scores.map((score) => -score);
  return {
    withPrompt: toxicity(prompts.map((prompt, i) => joinPromptContinuation(prompt, continuations[i]!))),
    continuationOnly: toxicity(continuations.map(continuationAlone)),
  };
}

/** The curated rows, or those of one split, from the curate stage's folder. */
export function curatedRows(curateDir: string, split?: CuratedRow['split']): CuratedRow[] {
  const rows = readJsonLines<CuratedRow>(join(curateDir, CURATED_FILE));
  return split === undefined ? rows : rows.filter((row) => row.split === split);
}

/** Up to `count` rows, half of each label where possible, in a seeded order. */
export function balancedSample(rows: readonly CuratedRow[], count: number, rng: Rng): CuratedRow[] {
  const byLabel = [rng.fork('0').shuffle(rows.filter((r) => r.label === 0)), rng.fork('1').shuffle(rows.filter((r) => r.label === 1))];
  const half = Math.min(Math.ceil(count / 2), Math.max(byLabel[0]!.length, byLabel[1]!.length));
  const take0 = Math.min(byLabel[0]!.length, Math.max(half, count - byLabel[1]!.length));
  const take1 = Math.min(byLabel[1]!.length, count - take0);
  return [...byLabel[0]!.slice(0, take0), ...byLabel[1]!.slice(0, take1)];
}

/** The text a curated row is continued from. */
export const promptOf = (row: CuratedRow): string => row.prompt ?? row.text;
