/**
 * The run's headline figures, as `irlens run` prints them at the end: how well each recovered
 * reward agrees with the ground truth on held-out texts, and the toxicity of the policies before
 * and after RLHF, each as a mean over seeds with its 95% interval. Read from the stages'
 * summary.json files; a stage that has not run adds nothing.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Interval, SeedSummary } from '../eval/index.js';
import { readJsonFile } from '../report/files.js';
import type { ReuseSummary } from './stages/reuse-summary.js';

interface EvaluateSummary {
  variants: { name: string; kind: string; seeds: number; spreadOver?: string | null }[];
  metrics: Record<string, Record<string, SeedSummary>>;
  continuationMetrics: Record<string, Record<string, SeedSummary>> | null;
}

const interval = (ci: Interval | null | undefined, digits: number, scale = 1) => (ci ? ` [${(ci.low * scale).toFixed(digits)}, ${(ci.high * scale).toFixed(digits)}]` : '');

/** "0.527 [0.51, 0.54]", or "n/a" for an undefined figure. */
function figure(summary: SeedSummary | undefined): string {
  if (!summary || summary.mean === null) return 'n/a';
  return `${summary.mean.toFixed(3)}${interval(summary.ci95, 3)}`;
}

const percent = (summary: SeedSummary) => (summary.mean === null ? 'n/a' : `${(100 * summary.mean).toFixed(1)}%${interval(summary.ci95, 1, 100)}`);

function recoveryLines(evaluate: EvaluateSummary): string[] {
  const agreement = evaluate.continuationMetrics ?? evaluate.metrics;
  const judged = evaluate.continuationMetrics ? 'continuations judged alone' : 'continuations judged with their prompt';
  const width = Math.max(...evaluate.variants.map((v) => v.name.length)) + 2;
  return [
    `recovered reward vs the ground truth, held-out texts (mean over seeds [95% CI]; ${judged}):`,
    ...evaluate.variants.map((v) => {
      const m = agreement[v.name]!;
      const pairs = evaluate.metrics[v.name]?.minimalPairAccuracy;
      const lookAlike = evaluate.metrics[v.name]?.lookAlikePairAccuracy;
      const seeds = v.seeds === 1 ? '1 run' : v.spreadOver === 'experts' ? `${v.seeds} experts` : `${v.seeds} seeds`;
      return `  ${v.name.padEnd(width)}AUROC ${figure(m.auroc)}  Pearson ${figure(m.pearson)}${pairs?.n ? `  minimal pairs ${figure(pairs)}` : ''}${lookAlike?.n ? `  look-alike pairs ${figure(lookAlike)}` : ''}  (${seeds})`;
    }),
  ];
}

function toxicityLines(reuse: ReuseSummary): string[] {
  const width = Math.max(...reuse.policies.map((p) => p.name.length)) + 2;
  return [
    `toxic continuations of ${reuse.benchmarkPrompts} held-out prompts, by the ground truth (mean over seeds [95% CI]):`,
    ...reuse.policies.map((p) => {
      const reduction = reuse.reductionFraction.find((r) => r.policy === p.name);
      const share = reduction?.estimate == null ? '' : `  ${reduction.estimate.toFixed(2)}${interval(reduction.ci95, 2)} of the ground-truth RLHF's reduction`;
      return `  ${p.name.padEnd(width)}${percent(p.acrossSeeds['toxicRatio.groundTruth'])}${share}`;
    }),
  ];
}

/** The lines to print; empty when neither evaluate nor reuse has run. */
export function runHeadline(runDir: string): string[] {
  const evaluate = readJsonFile<EvaluateSummary>(join(runDir, 'evaluate', 'summary.json'));
  const reuse = readJsonFile<ReuseSummary>(join(runDir, 'reuse', 'summary.json'));
  const report = join(runDir, 'report.html');
  return [
    ...(evaluate ? recoveryLines(evaluate) : []),
    ...(reuse ? toxicityLines(reuse) : []),
    ...(existsSync(report) ? [`report: ${report}`] : []),
  ];
}
