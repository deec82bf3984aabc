/**
 * `irlens score CLASSIFIER TEXT...`: a sequence classifier's label probabilities for each text,
 * and the reward irlens derives from it for one label (the paper's −logit[toxic] by default).
 * With --lexicon FILE the texts are scored by a weighted word list instead (no classifier).
 */
import { readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { CliError } from '../errors.js';
import { emit, integer, modelFolder, withJson, withRevision } from '../options.js';
import { loopProgress } from '../progress.js';
import { readTexts } from '../texts.js';

const SCORES = ['negative-logit', 'negative-probability', 'log-odds'] as const;
type ScoreMode = (typeof SCORES)[number];

interface ScoreFlags {
  file?: string;
  label?: string;
  score: ScoreMode;
  lexicon?: string;
  batchSize: number;
  maxLength?: number;
  json?: boolean;
  revision?: string;
}

export interface ScoreResult {
  scorer: { kind: 'classifier'; model: string; labels: string[]; label: string; score: ScoreMode; maxLength: number } | { kind: 'lexicon'; file: string; words: number };
  results: Array<{ text: string; probabilities?: Record<string, number>; score: number }>;
}

export function registerScore(program: Command): void {
  const command = program
    .command('score')
    .argument('[classifier]', 'a sequence-classifier checkpoint folder or hub id (left out with --lexicon)')
    .argument('[texts...]', 'texts to score (or --file)')
    .description('Score texts with a classifier: label probabilities and the reward for one label (higher = less like the label).')
    .option('-f, --file <file>', 'read texts from a file: one per line, or JSONL objects with a "text" field')
    .option('--label <name>', 'the label the reward penalises, by name or index (default: "toxic" if the classifier has it, else label 1 of two)')
    .addOption(new Option('--score <kind>', 'how the reward is read from the classifier').choices(SCORES).default('negative-logit'))
    .option('--lexicon <file>', 'score with a word list instead of a classifier: JSON {"word": weight}, or lines "word [weight]"')
    .option('--batch-size <n>', 'texts per forward pass', integer(1), 16)
    .option('--max-length <n>', "truncate texts to this many tokens, special tokens included (default and upper bound: what the classifier reads)", integer(1))
    .action((first: string | undefined, rest: string[], flags: ScoreFlags) => scoreCommand(first, rest, flags));
  withRevision(command);
  withJson(command);
}

/** A lexicon file: JSON {"word": weight}, or lines "word" (weight 1) / "word weight"; # starts a comment. */
export function readLexicon(file: string): Map<string, number> {
  let content: string;
  try {
    content = readFileSync(file, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read --lexicon ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); check the path`);
  }
  if (content.trimStart().startsWith('{')) {
    let json: unknown;
    try {
      json = JSON.parse(content);
    } catch (error) {
      throw new CliError(`${file}: not valid JSON (${(error as Error).message}); write {"word": weight, ...}`);
    }
    const weights = new Map<string, number>();
    for (const [word, weight] of Object.entries(json as Record<string, unknown>)) {
      if (typeof weight !== 'number') throw new CliError(`${file}: the weight of "${word}" is not a number`);
      weights.set(word, weight);
    }
    return weights;
  }
  const weights = new Map<string, number>();
  content.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/#.*$/, '').trim();
    if (line === '') return;
    const [word, weight, ...extra] = line.split(/\s+/);
    const value = weight === undefined ? 1 : Number(weight);
    if (extra.length > 0 || !Number.isFinite(value)) throw new CliError(`${file}: line ${i + 1} should be "word" or "word weight", got ${JSON.stringify(raw)}`);
    weights.set(word!, value);
  });
  return weights;
}

async function scoreCommand(first: string | undefined, rest: string[], flags: ScoreFlags): Promise<void> {
  const positional = [...(first === undefined ? [] : [first]), ...rest];
  const classifierSpec = flags.lexicon === undefined ? positional.shift() : undefined;
  if (flags.lexicon === undefined && classifierSpec === undefined) throw new CliError('score needs a classifier (a checkpoint folder or hub id), or --lexicon FILE');
  const texts = [...positional, ...(flags.file !== undefined ? readTexts(flags.file) : [])];
  if (texts.length === 0) throw new CliError('no texts to score: pass them after the classifier, or with --file FILE');

  if (flags.lexicon !== undefined) {
    const { LexiconReward } = await import('../../reward/index.js');
    const weights = readLexicon(flags.lexicon);
    const scores = new LexiconReward(weights).score(texts).scores;
    const result: ScoreResult = { scorer: { kind: 'lexicon', file: flags.lexicon, words: weights.size }, results: texts.map((text, i) => ({ text, score: scores[i]! })) };
    emit(flags.json, result, () => texts.map((text, i) => `${scores[i]!.toFixed(4).padStart(10)}  ${JSON.stringify(text)}`));
    return;
  }

  const folder = await modelFolder(classifierSpec!, flags.revision);
  const { loadClassifier } = await import('../../models/load.js');
  const { ClassifierReward } = await import('../../reward/index.js');
  const { Tokenizer } = await import('../../text/index.js');
  const tokenizer = Tokenizer.fromFolder(folder);
  const loaded = loadClassifier(folder, 'score needs a *ForSequenceClassification checkpoint');
  const config = loaded.config;
  const labels = Array.from({ length: config.numLabels }, (_, i) => config.id2label[i] ?? String(i));
  const label = flags.label === undefined ? defaultLabel(labels) : /^\d+$/.test(flags.label) ? Number(flags.label) : flags.label;
  const reward = new ClassifierReward(loaded.model, tokenizer, {
    label,
    score: flags.score,
    batchSize: flags.batchSize,
    ...(flags.maxLength !== undefined ? { maxLength: flags.maxLength } : {}),
  });

  const results: ScoreResult['results'] = [];
  const progress = loopProgress('score', texts.length, { unit: 'texts', mode: texts.length > flags.batchSize ? undefined : 'silent' });
  try {
    progress.update(0);
    for (let start = 0; start < texts.length; start += flags.batchSize) {
      const batch = texts.slice(start, start + flags.batchSize);
      const { probabilities, scores } = reward.classify(batch);
      batch.forEach((text, i) => {
        results.push({ text, probabilities: Object.fromEntries(labels.map((name, j) => [name, probabilities[i]![j]!])), score: scores[i]! });
      });
      progress.update(start + batch.length);
    }
  } finally {
    progress.stop();
  }
  const chosen = labels[reward.labelIndex] ?? String(reward.labelIndex);
  const result: ScoreResult = { scorer: { kind: 'classifier', model: folder, labels, label: chosen, score: flags.score, maxLength: reward.maxLength }, results };
  emit(flags.json, result, () => [
    `reward: ${flags.score} of "${chosen}" (higher = less ${chosen})`,
    `${labels.map((name) => `P(${name})`.padStart(12)).join('')}${'reward'.padStart(12)}  text`,
    ...results.map((r) => `${labels.map((name) => r.probabilities![name]!.toFixed(4).padStart(12)).join('')}${r.score.toFixed(4).padStart(12)}  ${JSON.stringify(r.text)}`),
  ]);
}

function defaultLabel(labels: string[]): string | number {
  const toxic = labels.find((name) => name.toLowerCase() === 'toxic');
  if (toxic !== undefined) return toxic;
  if (labels.length === 2) return 1;
  throw new CliError(`the classifier has ${labels.length} labels (${labels.join(', ')}) and none is "toxic"; choose one with --label`);
}
