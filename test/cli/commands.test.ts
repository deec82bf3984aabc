/** `--help`, `irlens curate`, `irlens run` and the exit codes of user errors, run as child processes. */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { buildProgram } from '../../src/cli/program.js';
import { classifyError, CliError } from '../../src/cli/errors.js';
import type { CurateSummary } from '../../src/data/index.js';
import { StageFailedError } from '../../src/pipeline/errors.js';
import { WriteFailedError } from '../../src/io/index.js';
import type { RunResult } from '../../src/cli/commands/run.js';
import { fixture } from '../helpers/fixtures.js';
import { describeRun, irlens, temporaryDir } from './helpers.js';

const COMMANDS = ['inspect', 'generate', 'score', 'curate', 'sft', 'run', 'irl', 'evaluate'];

/** A user error: exit 1 and one `irlens: ...` line on stderr, without a stack trace. */
function assertUserError(run: { code: number; stdout: string; stderr: string }, pattern: RegExp): void {
  assert.equal(run.code, 1, `expected exit 1: ${run.stderr}`);
  assert.match(run.stderr, /^irlens: /);
  assert.match(run.stderr, pattern);
  assert.doesNotMatch(run.stderr, /\n\s+at /, 'no stack trace for a user error');
  assert.equal(run.stdout, '');
}

describe('--help', () => {
  test('every command has help that names its arguments and options', () => {
    const program = buildProgram();
    const names = program.commands.map((c) => c.name());
    for (const name of COMMANDS) assert.ok(names.includes(name), `irlens ${name} is registered`);
    for (const command of program.commands) {
      const help = command.helpInformation();
      assert.match(help, new RegExp(`^Usage: irlens ${command.name()}`), command.name());
      assert.match(help, /-h, --help/);
      assert.ok(command.description().length > 20, `${command.name()} has a description`);
    }
    const generate = program.commands.find((c) => c.name() === 'generate')!.helpInformation();
    for (const flag of ['--prompt', '--max-new-tokens', '--min-new-tokens', '--temperature', '--top-k', '--top-p', '--greedy', '--seed', '--batch-size', '--json']) {
      assert.ok(generate.includes(flag), flag);
    }
  });

  test('irlens --help and irlens <command> --help exit 0 from the command line', async () => {
    const top = await irlens(['--help']);
    assert.equal(top.code, 0, describeRun(top));
    for (const name of COMMANDS) assert.match(top.stdout, new RegExp(`\\n  ${name}\\b`));
    const sub = await irlens(['run', '--help']);
    assert.equal(sub.code, 0, describeRun(sub));
    assert.match(sub.stdout, /Usage: irlens run/);
    assert.match(sub.stdout, /--preset/);
  });
});

describe('irlens curate', () => {
  test('curates a small CSV and prints the summary as JSON', async () => {
    const dir = temporaryDir();
    const input = join(dir, 'comments.csv');
    const rows = ['text,label'];
    for (let i = 0; i < 12; i++) rows.push(`"a perfectly kind comment number ${i} about the sea",0`);
    for (let i = 0; i < 6; i++) rows.push(`"a rude and nasty comment number ${i} about you",1`);
    rows.push('"a rude and nasty comment number 0 about you",1'); // a duplicate
    writeFileSync(input, rows.join('\n') + '\n');
    const out = join(dir, 'curated');
    const run = await irlens([
      'curate', '--input', input, '--schema', 'generic', '--text-column', 'text', '--label-column', 'label', '--out', out,
      '--dedupe', '--balance', '--test-fraction', '0.5', '--seed', '3', '--prompt-length', '4', '--json',
    ]);
    assert.equal(run.code, 0, describeRun(run));
    const summary = JSON.parse(run.stdout) as CurateSummary;
    assert.equal(summary.inputRows, 19);
    assert.equal(summary.dropped.duplicate, 1);
    assert.equal(summary.dropped.balance, 6);
    assert.equal(summary.keptRows, 12);
    assert.deepEqual(summary.labels, { '0': 6, '1': 6 });
    assert.equal(summary.splits.train.rows + summary.splits.test.rows, 12);
    const lines = readFileSync(join(out, 'curated.jsonl'), 'utf8').trim().split('\n');
    assert.equal(lines.length, 12);
    assert.equal(JSON.parse(lines[0]!).prompt.split(' ').length, 4);
  });
});

describe('irlens run', () => {
  test('runs the stages asked for into --out, then finds them up to date', async () => {
    const dir = temporaryDir();
    const out = join(dir, 'runs', 'tiny');
    const first = await irlens(['run', '--preset', 'demo-tiny', '--only', 'world', '--out', out, '--json']);
    assert.equal(first.code, 0, describeRun(first));
    const result = JSON.parse(first.stdout) as RunResult;
    assert.equal(result.runDir, out);
    assert.deepEqual(result.ran, ['world']);
    assert.match(first.stderr, /\[world\]/, 'the run log is streamed to stderr');
    assert.match(readFileSync(join(out, 'config.yaml'), 'utf8'), /preset: demo-tiny/);
    const again = await irlens(['run', '--preset', 'demo-tiny', '--only', 'world', '--out', out]);
    assert.equal(again.code, 0, describeRun(again));
    assert.match(again.stdout, /up to date\s+world/);
    assert.match(again.stdout, /0 stages ran, 1 up to date/);
  });
});

describe('exit codes', () => {
  test('a missing model folder is a user error (exit 1, no stack)', async () => {
    assertUserError(await irlens(['inspect', '/no/such/irlens/model', '--json']), /does not exist/);
  });

  test('IRLENS_BACKEND=native without the addon is a user error that says how to build it, not a bug', async () => {
    const env = { IRLENS_BACKEND: 'native', IRLENS_NATIVE_ADDON: '/nonexistent/irlens_native.node' };
    const run = await irlens(['score', fixture('roberta-tiny-classifier'), 'a text'], { env });
    assertUserError(run, /IRLENS_BACKEND=native but the native kernels could not be loaded .*does not exist.*Install a C\+\+ compiler \(g\+\+\), make and python3, then run `npm rebuild`/);
    assert.doesNotMatch(run.stderr, /internal error|a bug in irlens/);
  });

  test('an unknown preset is a user error that suggests the closest one', async () => {
    assertUserError(await irlens(['run', '--preset', 'demoo', '--print-config']), /unknown preset 'demoo'.*did you mean 'demo'/);
  });

  test('a misspelt config key is a user error naming the file, the line and the key it meant', async () => {
    const dir = temporaryDir();
    const config = join(dir, 'config.yaml');
    writeFileSync(config, 'preset: demo-tiny\nbase_model:\n  max_stepz: 3\n');
    const run = await irlens(['run', '--config', config, '--print-config']);
    assertUserError(run, /max_stepz/);
    assert.match(run.stderr, /config\.yaml:3/);
    assert.match(run.stderr, /max_steps/);
  });

  test('typed errors of the layers below are user errors, a failed stage is judged by its cause, others are internal', () => {
    assert.equal(classifyError(new CliError('x')), 'user');
    assert.equal(classifyError(new WriteFailedError('/out/model', 'ENOSPC', 'previous')), 'user');
    assert.equal(classifyError(new TypeError('x')), 'internal');
    assert.equal(classifyError(new StageFailedError('world', new CliError('x'))), 'user');
    assert.equal(classifyError(new StageFailedError('world', new RangeError('x'))), 'internal');
    const abort = new Error('stopped');
    abort.name = 'AbortError';
    assert.equal(classifyError(abort), 'interrupted');
  });
});
