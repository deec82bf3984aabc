/**
 * Stage `curate`: prompts for generation, RLHF and IRL, through src/data's curation (split each
 * comment into a prompt and the human continuation, filter, de-duplicate, balance, seeded
 * train/test split). In the demo the comments are the world's held-out toxic and non-toxic
 * comments; otherwise `curate.inputs`: data files, folders of them, or hub data set ids such as
 * jaredjoss/jigsaw-long-2000 (src/data/inputs.ts has the rule). Outputs curated.jsonl and
 * manifest.json.
 *
 * Local inputs are fingerprinted by their content, a hub id by its text (revision included). A
 * branch is read as the hub cache last saw it, without asking the hub again, so a branch moving on
 * the hub changes nothing here; the manifest records the commit read.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CURATED_FILE, MANIFEST_FILE, SCHEMA_NAMES, curateCommand, isHubDatasetId, type SchemaName } from '../../data/index.js';
import { PipelineError } from '../errors.js';
import { s } from '../schema.js';
import { defineStage } from '../stage.js';
import { WORLD_FILES } from './world.js';

export { CURATED_FILE, MANIFEST_FILE };

export const curateSchema = s.object({
  inputs: s.nullable(s.array(s.string({ nonEmpty: true }), { minLength: 1 }), {
    default: null,
    description: "data files, folders or hub data set ids (owner/name[@revision]) to curate (Jigsaw, RealToxicityPrompts, ...); null: the demo world's held-out comments",
  }),
  schema: s.enum(SCHEMA_NAMES, { default: 'auto', description: 'how to read the input files (ignored for the demo world)' }),
  prompt_fraction: s.nullable(s.number({ min: 0, max: 1, exclusiveMin: true }), { default: 0.5, description: 'split each text at this share of its words (null: keep the files\' own prompts)' }),
  min_prompt_words: s.integer({ min: 0, default: 3 }),
  min_continuation_words: s.integer({ min: 0, default: 2 }),
  max_text_words: s.nullable(s.integer({ min: 1 }), { default: null }),
  max_rows_per_label: s.nullable(s.integer({ min: 1 }), { default: null }),
  balance: s.boolean({ default: true }),
  dedupe: s.boolean({ default: true }),
  test_fraction: s.number({ min: 0, max: 0.95, default: 0.5 }),
});

/** The inputs hashed by content: all but hub data set ids (an existing path wins, as when curating). */
const isLocalInput = (input: string): boolean => existsSync(input) || !isHubDatasetId(input);

export const curateStage = defineStage({
  name: 'curate',
  configKey: 'curate',
  configSchema: curateSchema,
  dependsOn: ['world'],
  version: '1',
  description: 'curate toxic and non-toxic prompts, balanced, with a seeded train/test split',
  inputs: (ctx) => (ctx.config.inputs !== null ? ctx.config.inputs.filter(isLocalInput) : [join(ctx.stageDir('world'), WORLD_FILES.comments)]),
  async run(ctx) {
    const config = ctx.config;
    const fromWorld = config.inputs === null;
    if (fromWorld && ctx.runConfig.world !== undefined && (ctx.runConfig.world as { kind?: string }).kind === 'none') {
      throw new PipelineError("curate: there is no demo world to take comments from (world.kind is 'none'); set curate.inputs to your data files (e.g. a Jigsaw CSV)");
    }
    const summary = await curateCommand({
      input: fromWorld ? [join(ctx.stageDir('world'), WORLD_FILES.comments)] : [...config.inputs!],
      outDir: ctx.dir,
      ...(fromWorld ? { schema: 'generic' as SchemaName, textColumn: 'text', labelColumn: 'label', idColumn: 'id' } : { schema: config.schema }),
      ...(config.prompt_fraction !== null ? { promptFraction: config.prompt_fraction } : {}),
      minPromptLength: config.min_prompt_words,
      minContinuationLength: config.min_continuation_words,
      ...(config.max_text_words !== null ? { maxTextLength: config.max_text_words } : {}),
      ...(config.max_rows_per_label !== null ? { maxRowsPerLabel: config.max_rows_per_label } : {}),
      balance: config.balance,
      dedupe: config.dedupe,
      testFraction: config.test_fraction,
      seed: ctx.runConfig.seed,
    });
    ctx.log.info(`curated ${summary.keptRows} of ${summary.inputRows} comments: train ${summary.splits.train.rows}, test ${summary.splits.test.rows} (toxic ${summary.labels['1']}, non-toxic ${summary.labels['0']})`);
    return { inputRows: summary.inputRows, keptRows: summary.keptRows, labels: summary.labels, train: summary.splits.train.rows, test: summary.splits.test.rows };
  },
});
