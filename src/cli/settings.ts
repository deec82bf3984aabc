/**
 * Pieces the stand-alone IRL commands share with the pipeline: settings given as
 * `--set section.key=value` and validated against the pipeline's stage schemas, and a
 * classifier loaded as a reward with the window it can read.
 */
import { CliError } from './errors.js';
import type { ClassifierReward, ClassifierScore } from '../reward/index.js';
import type { Infer, ObjectSchema } from '../pipeline/schema.js';

/**
 * Each section's settings, defaults filled in, from `start` (e.g. a config file's sections) overridden
 * by `section.key=value` assignments; unknown sections and keys are errors.
 */
export async function collectSettings<S extends Record<string, ObjectSchema<any>>>(
  schemas: S, assignments: readonly string[], start: Partial<Record<keyof S, Record<string, unknown>>> = {},
): Promise<{ [K in keyof S]: Infer<S[K]> }> {
  const { parse } = await import('yaml');
  const { validateAgainst } = await import('../pipeline/schema.js');
  const sections: Record<string, Record<string, unknown>> = Object.fromEntries(Object.keys(schemas).map((name) => [name, { ...start[name] }]));
  for (const assignment of assignments) {
    const match = /^([a-z_]+)\.([a-z_0-9]+)=(.*)$/s.exec(assignment);
    if (!match || !(match[1]! in sections)) throw new CliError(`--set ${assignment}: write section.key=value with a section of ${Object.keys(schemas).join(', ')}, e.g. --set ${Object.keys(schemas)[0]}.seeds=3`);
    sections[match[1]!]![match[2]!] = parse(match[3]!);
  }
  const issues: { message: string }[] = [];
  const settings = Object.fromEntries(Object.entries(schemas).map(([name, schema]) => [name, validateAgainst(schema, sections[name], issues as never, undefined, [name])]));
  if (issues.length > 0) throw new CliError(`settings: ${issues.map((issue) => issue.message).join('; ')}`);
  return settings as { [K in keyof S]: Infer<S[K]> };
}

/** A sequence classifier as a reward of its label; texts are cut to its window, as every ClassifierReward cuts them. */
export async function toxicityScorer(folder: string, label: string, score: ClassifierScore, batchSize?: number): Promise<ClassifierReward> {
  const { loadClassifier } = await import('../models/load.js');
  const { ClassifierReward } = await import('../reward/index.js');
  const { Tokenizer } = await import('../text/index.js');
  const classifier = loadClassifier(folder).model;
  classifier.eval();
  return new ClassifierReward(classifier, Tokenizer.fromFolder(folder), { label, score, ...(batchSize !== undefined ? { batchSize } : {}) });
}
