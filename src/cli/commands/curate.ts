/**
 * `irlens curate --input FILE|DIR|OWNER/NAME --out DIR`: reads toxicity data (Jigsaw, the paper's
 * jigsaw-long, RealToxicityPrompts, Davidson, or any text/label file) from disk or a Hugging Face
 * data set, curates it (length filters, dedupe, balance, prompt split, seeded train/test split)
 * and writes curated.jsonl + manifest.json.
 */
import { Option, type Command } from 'commander';
import { DATA_FORMATS } from '../../data/read.js';
import { SCHEMA_NAMES } from '../../data/schemas.js';
import { collect, emit, integer, modelFolder, number, withJson } from '../options.js';

interface CurateFlags {
  input: string[];
  out: string;
  format?: (typeof DATA_FORMATS)[number];
  delimiter?: string;
  schema: (typeof SCHEMA_NAMES)[number];
  textColumn?: string;
  labelColumn?: string;
  idColumn?: string;
  promptColumn?: string;
  continuationColumn?: string;
  scoreColumn?: string[];
  positiveValue?: string[];
  threshold?: number;
  jigsawLabel?: 'any' | 'toxic';
  rtpLabelFrom?: 'prompt' | 'continuation';
  testFraction?: number;
  seed?: string;
  balance?: boolean;
  dedupe?: boolean;
  maxRowsPerLabel?: number;
  promptLength?: number;
  promptFraction?: number;
  splitUnit?: 'words' | 'tokens';
  lengthUnit?: 'words' | 'tokens';
  tokenizer?: string;
  minTextLength?: number;
  maxTextLength?: number;
  minPromptLength?: number;
  maxPromptLength?: number;
  minContinuationLength?: number;
  maxContinuationLength?: number;
  json?: boolean;
}

const UNITS = ['words', 'tokens'] as const;

export function registerCurate(program: Command): void {
  const command = program
    .command('curate')
    .description('Curate a toxicity data set into balanced, seeded train/test prompts (curated.jsonl + manifest.json).')
    .requiredOption(
      '-i, --input <input>',
      'a data file (.jsonl, .json, .csv, .tsv, optionally .gz, or .parquet), a folder of them, or a Hugging Face data set id ' +
        'owner/name[@revision] (an existing path wins; names ending in a data extension are paths); repeat to read several',
      collect,
    )
    .requiredOption('-o, --out <dir>', 'the folder for curated.jsonl and manifest.json (created if missing)')
    .addOption(new Option('--format <format>', 'the input format (default: from the extension)').choices(DATA_FORMATS))
    .option('--delimiter <char>', "CSV field delimiter (default ',', tab for .tsv)")
    .addOption(new Option('--schema <name>', 'the data set layout; auto picks it from the columns').choices(SCHEMA_NAMES).default('auto'))
    .option('--text-column <column>', 'generic schema: the text column (dotted paths reach into objects)')
    .option('--label-column <column>', 'generic schema: the label column')
    .option('--id-column <column>', 'the id column')
    .option('--prompt-column <column>', 'a column holding the prompt part')
    .option('--continuation-column <column>', 'a column holding the continuation part')
    .option('--score-column <column>', 'a numeric column kept as a score (repeatable)', collect)
    .option('--positive-value <value>', 'a label value that means toxic (repeatable); other values mean not toxic', collect)
    .option('--threshold <x>', 'numeric labels/scores at or above this are toxic', number())
    .addOption(new Option('--jigsaw-label <rule>', 'jigsaw: toxic if any of the six labels is set, or by the toxic column alone').choices(['any', 'toxic']))
    .addOption(new Option('--rtp-label-from <part>', "RealToxicityPrompts: which part's toxicity labels the row").choices(['prompt', 'continuation']))
    .option('--test-fraction <f>', "fraction of each label's rows in the test split (default 0.2)", number({ min: 0, max: 1 }))
    .option('--seed <seed>', 'seed of sampling, balancing and splitting (default 0)')
    .option('--balance', 'down-sample the majority label to the size of the minority')
    .option('--dedupe', 'drop rows whose normalised text was seen before')
    .option('--max-rows-per-label <n>', 'keep at most n rows of each label (seeded sample)', integer(1))
    .option('--prompt-length <n>', 'split each text into a prompt of n words/tokens and the rest as continuation', integer(1))
    .option('--prompt-fraction <f>', 'or split at this fraction of each text', number({ min: 0, max: 1, exclusiveMin: true }))
    .addOption(new Option('--split-unit <unit>', 'unit of --prompt-length/--prompt-fraction (default words)').choices(UNITS))
    .addOption(new Option('--length-unit <unit>', 'unit of the length filters (default words)').choices(UNITS))
    .option('--tokenizer <model>', 'a model folder or hub id whose tokenizer counts tokens (for the tokens unit)')
    .option('--min-text-length <n>', 'drop texts shorter than this', integer(0))
    .option('--max-text-length <n>', 'drop texts longer than this', integer(0))
    .option('--min-prompt-length <n>', 'drop prompts shorter than this', integer(0))
    .option('--max-prompt-length <n>', 'drop prompts longer than this', integer(0))
    .option('--min-continuation-length <n>', 'drop continuations shorter than this', integer(0))
    .option('--max-continuation-length <n>', 'drop continuations longer than this', integer(0))
    .action((flags: CurateFlags) => curateCommandLine(flags));
  withJson(command);
}

async function curateCommandLine(flags: CurateFlags): Promise<void> {
  const { curateCommand, describeReason, curationParameters } = await import('../../data/index.js');
  let tokenizer: ((text: string) => number[]) | undefined;
  if (flags.tokenizer !== undefined) {
    const { Tokenizer } = await import('../../text/index.js');
    const loaded = Tokenizer.fromFolder(await modelFolder(flags.tokenizer));
    tokenizer = (text) => loaded.encode(text, { addSpecialTokens: false });
  }
  const seed = flags.seed === undefined ? undefined : /^\d+$/.test(flags.seed) ? Number(flags.seed) : flags.seed;
  const defined = <T extends object>(object: T): Partial<T> => Object.fromEntries(Object.entries(object).filter(([, v]) => v !== undefined)) as Partial<T>;
  const curation = defined({
    testFraction: flags.testFraction,
    seed,
    balance: flags.balance,
    dedupe: flags.dedupe,
    maxRowsPerLabel: flags.maxRowsPerLabel,
    promptLength: flags.promptLength,
    promptFraction: flags.promptFraction,
    splitUnit: flags.splitUnit,
    lengthUnit: flags.lengthUnit,
    tokenizer,
    minTextLength: flags.minTextLength,
    maxTextLength: flags.maxTextLength,
    minPromptLength: flags.minPromptLength,
    maxPromptLength: flags.maxPromptLength,
    minContinuationLength: flags.minContinuationLength,
    maxContinuationLength: flags.maxContinuationLength,
  });
  const summary = await curateCommand({
    input: flags.input,
    outDir: flags.out,
    schema: flags.schema,
    ...defined({
      format: flags.format,
      delimiter: flags.delimiter,
      textColumn: flags.textColumn,
      labelColumn: flags.labelColumn,
      idColumn: flags.idColumn,
      promptColumn: flags.promptColumn,
      continuationColumn: flags.continuationColumn,
      scoreColumns: flags.scoreColumn,
      positiveValues: flags.positiveValue,
      threshold: flags.threshold,
      jigsawLabel: flags.jigsawLabel,
      rtpLabelFrom: flags.rtpLabelFrom,
      tokenizerName: flags.tokenizer,
    }),
    ...curation,
  });
  const parameters = curationParameters(curation);
  emit(flags.json, summary, () => {
    const labels = (counts: { '0': number; '1': number }) => `${counts['1']} toxic, ${counts['0']} not toxic`;
    const dropped = Object.entries(summary.dropped).filter(([, count]) => count > 0);
    return [
      `kept ${summary.keptRows} of ${summary.inputRows} rows (${labels(summary.labels)})`,
      ...summary.inputs.map((input) => `  input    ${describeInput(input)}: ${input.format}, schema ${input.schema}, ${input.rows} rows`),
      ...(dropped.length === 0
        ? ['  dropped  none']
        : dropped.map(([reason, count], i) => `  ${i === 0 ? 'dropped ' : '        '} ${String(count).padStart(6)}  ${describeReason(reason as Parameters<typeof describeReason>[0], parameters)}`)),
      `  train    ${summary.splits.train.rows} rows (${labels(summary.splits.train.labels)})`,
      `  test     ${summary.splits.test.rows} rows (${labels(summary.splits.test.labels)})`,
      `  wrote    ${summary.curatedFile}, ${summary.manifestFile}`,
    ];
  });
}

/** A local file by its path; a hub file by data set, commit and path in the repo (its cache path is in the manifest). */
function describeInput(input: { path: string; hub: { dataset: string; commit: string; file: string; source: string } | null }): string {
  if (input.hub === null) return input.path;
  const { dataset, commit, file, source } = input.hub;
  return `${dataset}@${commit.slice(0, 10)}/${file} (${source === 'hub' ? 'downloaded' : 'from the hub cache'})`;
}
