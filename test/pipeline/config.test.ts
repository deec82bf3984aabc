import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import {
  ConfigValidationError,
  PresetRegistry,
  buildConfigSchema,
  closestMatch,
  configToYaml,
  defineStage,
  editDistance,
  resolveConfig,
  s,
  type Infer,
} from '../../src/pipeline/index.js';
import { temporaryDir } from './helpers.js';

const rlhf = s.object({
  learning_rate: s.number({ min: 0, exclusiveMin: true, default: 1.41e-5 }),
  steps: s.integer({ min: 1, default: 100 }),
  kl: s.object({ target: s.nullable(s.number({ min: 0 }), { default: 6 }), adaptive: s.boolean({ default: true }) }),
  model: s.string({ nonEmpty: true }),
  optimizer: s.enum(['adamw', 'sgd'], { default: 'adamw' }),
  unfrozen_layers: s.nullable(s.integer({ min: 0 }), { default: null }),
  seeds: s.array(s.integer(), { default: [0] }),
});
const curate = s.object({ test_fraction: s.number({ min: 0, max: 1, default: 0.2 }), balanced: s.boolean({ default: true }) });
const schema = buildConfigSchema([
  ['rlhf', rlhf],
  ['curate', curate],
]);

// The type of a section follows from its schema.
type RlhfConfig = Infer<typeof rlhf>;
const typed: RlhfConfig = { learning_rate: 1, steps: 1, kl: { target: null, adaptive: true }, model: 'm', optimizer: 'sgd', unfrozen_layers: null, seeds: [] };
void typed;

function issuesOf(fn: () => unknown) {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ConfigValidationError, String(error));
    return error;
  }
  assert.fail('expected a ConfigValidationError');
}

describe('config', () => {
  test('defaults fill in around the given keys', () => {
    const config = resolveConfig({ schema, text: 'name: demo-run\nrlhf:\n  model: pythia\n' });
    assert.deepEqual(config, {
      name: 'demo-run',
      seed: 0,
      out: 'runs',
      rlhf: { learning_rate: 1.41e-5, steps: 100, kl: { target: 6, adaptive: true }, model: 'pythia', optimizer: 'adamw', unfrozen_layers: null, seeds: [0] },
      curate: { test_fraction: 0.2, balanced: true },
    });
  });

  test('a misspelt key is reported with file:line:column, its section and the closest valid key', () => {
    const text = ['name: x', 'rlhf:', '  model: m', '  learning_rat: 0.1', 'curate:', '  balanced: true'].join('\n');
    const error = issuesOf(() => resolveConfig({ schema, text, file: 'config.yaml' }));
    assert.equal(error.message, "unknown key 'learning_rat' at config.yaml:4:3 under rlhf; did you mean 'learning_rate'?");
    assert.deepEqual(error.issues[0]!.origin, { kind: 'file', file: 'config.yaml', line: 4, column: 3 });
    assert.equal(error.issues[0]!.suggestion, 'learning_rate');
    assert.equal(error.issues[0]!.path, 'rlhf.learning_rat');
  });

  test('every problem is reported, in file order, with what was expected', () => {
    const text = [
      'seed: -1', //
      'rlhf:',
      '  steps: 1.5',
      '  kl: {target: "6", adaptive: maybe}',
      '  optimizer: adamm',
      'curate:',
      '  test_fraction: 2',
      'rhlf: {}',
      'zzz: 1',
    ].join('\n');
    const error = issuesOf(() => resolveConfig({ schema, text, file: 'c.yaml' }));
    const messages = error.issues.map((issue) => issue.message);
    assert.deepEqual(messages, [
      'seed at c.yaml:1:7: expected an integer ≥ 0, got -1',
      'rlhf.steps at c.yaml:3:10: expected an integer ≥ 1, got 1.5',
      "rlhf.kl.target at c.yaml:4:16: expected a number ≥ 0 or null, got the string '6' (a quoted number; remove the quotes)",
      "rlhf.kl.adaptive at c.yaml:4:31: expected true or false, got the string 'maybe'",
      "rlhf.optimizer at c.yaml:5:14: expected one of 'adamw', 'sgd', got the string 'adamm'; did you mean 'adamw'?",
      'curate.test_fraction at c.yaml:7:18: expected a number between 0 and 1, got 2',
      "unknown key 'rhlf' at c.yaml:8:1 at the top level; did you mean 'rlhf'?",
      "unknown key 'zzz' at c.yaml:9:1 at the top level; the keys there are 'name', 'seed', 'out', 'preset', 'rlhf', 'curate'",
      "missing key 'model' under rlhf: expected a non-empty string; set it in the config file or with --set rlhf.model=...",
    ]);
    assert.match(error.message, /^9 problems in the config:\n {2}- seed at c\.yaml:1:7/);
  });

  test('YAML syntax errors and duplicate keys give a position', () => {
    const bad = issuesOf(() => resolveConfig({ schema, text: 'rlhf:\n  model: [a, b\n', file: 'config.yaml' }));
    assert.match(bad.message, /^config\.yaml:\d+:\d+: YAML syntax error: /);
    const duplicate = issuesOf(() => resolveConfig({ schema, text: 'seed: 1\nseed: 2\n', file: 'config.yaml' }));
    assert.match(duplicate.message, /^config\.yaml:2:1: YAML syntax error: .*unique/i);
    const list = issuesOf(() => resolveConfig({ schema, text: '- a\n- b\n', file: 'config.yaml' }));
    assert.match(list.message, /config\.yaml:1:1: a config must be a mapping/);
  });

  test('aliases that multiply (a "billion laughs" file) are refused with a position (found by fuzzing: a raw ReferenceError)', () => {
    const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i <= 4; i++) lines.push(`a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(', ')}]`);
    const laughs = issuesOf(() => resolveConfig({ schema, text: `${lines.join('\n')}\nseed: *a4\n`, file: 'config.yaml' }));
    assert.match(laughs.message, /^config\.yaml:1:1: the YAML cannot be read into values \(Excessive alias count.*\); write the values out/);
  });

  test("'__proto__' is a key like any other, in the file or in --set (found by fuzzing: --set polluted Object.prototype)", () => {
    const overridden = issuesOf(() => resolveConfig({ schema, text: 'seed: 1\n', overrides: ['__proto__.polluted=1', 'rlhf.__proto__.polluted=1'] }));
    const unknown = overridden.issues.filter((issue) => issue.kind === 'unknown-key').map((issue) => issue.path);
    assert.deepEqual(unknown, ['__proto__', 'rlhf.__proto__']);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    const inFile = issuesOf(() => resolveConfig({ schema, text: '__proto__: {seed: 5}\n', file: 'config.yaml' }));
    assert.match(inFile.message, /unknown key '__proto__' at config\.yaml:1:1/);
  });

  test('YAML nested thousands deep is refused before parsing (found by fuzzing: V8 aborted the process)', () => {
    for (const text of [`rlhf: ${'['.repeat(20_000)}${']'.repeat(20_000)}\n`, `rlhf: ${'{a: '.repeat(100)}1${'}'.repeat(100)}\n`, `rlhf:\n  ${'- '.repeat(100)}1\n`]) {
      const deep = issuesOf(() => resolveConfig({ schema, text, file: 'config.yaml' }));
      assert.match(deep.message, /^config\.yaml:1:1: the YAML nests \d+ levels deep .*more than the 64 a config may have/);
    }
    const override = issuesOf(() => resolveConfig({ schema, text: 'seed: 1\n', overrides: [`rlhf.seeds=${'['.repeat(100)}`] }));
    assert.match(override.message, /--set rlhf\.seeds=\[+: the YAML nests 100 levels deep/);
    // Brackets count inside quotes too (so that a quote cannot hide nesting), but closed ones do not add up.
    const model = '[x] '.repeat(100);
    assert.equal((resolveConfig({ schema, text: `rlhf:\n  model: "${model}"\n` }).rlhf as { model: string }).model, model);
  });

  test('presets, then the file, then --set overrides, with type coercion and the same validation', () => {
    const registry = new PresetRegistry();
    registry.register({ name: 'small', description: 'a small base', config: { seed: 3, rlhf: { model: 'tiny', steps: 10, kl: { adaptive: false } } } });
    registry.register({ name: 'small-long', description: 'more steps', extends: 'small', config: { rlhf: { steps: 1000 } } });
    const dir = temporaryDir();
    const file = join(dir, 'my.yaml');
    writeFileSync(file, 'preset: small-long\nrlhf:\n  learning_rate: 0.001\n');
    const config = resolveConfig({
      schema,
      presets: registry,
      file,
      overrides: ['rlhf.steps=20', 'rlhf.kl.adaptive=yes', 'rlhf.unfrozen_layers=null', 'rlhf.seeds=[1, 2, 3]', 'curate.test_fraction=1e-1', 'rlhf.model=0042'],
    });
    assert.equal(config.name, 'small-long', 'the run is named after the preset unless the config says');
    assert.equal(config.preset, 'small-long');
    assert.equal(config.seed, 3);
    assert.deepEqual(config.rlhf, {
      learning_rate: 0.001,
      steps: 20,
      kl: { target: 6, adaptive: true },
      model: '0042',
      optimizer: 'adamw',
      unfrozen_layers: null,
      seeds: [1, 2, 3],
    });
    assert.equal((config.curate as { test_fraction: number }).test_fraction, 0.1);

    // The --preset flag wins over the file's key.
    assert.equal(resolveConfig({ schema, presets: registry, file, preset: 'small' }).rlhf && (resolveConfig({ schema, presets: registry, file, preset: 'small' }).rlhf as { steps: number }).steps, 10);

    const error = issuesOf(() =>
      resolveConfig({ schema, presets: registry, preset: 'small', overrides: ['rlhf.learnng_rate=1', 'rlhf.steps=many', 'seed', 'rlhf.seeds=[1,'] }),
    );
    const messages = error.issues.map((issue) => issue.message);
    assert.equal(messages.length, 4);
    assert.equal(messages[0], '--set seed: expected key.path=value (like --set rlhf.learning_rate=1e-5)');
    assert.match(messages[1]!, /^--set rlhf\.seeds=\[1,: the value is not valid YAML: Flow sequence must end with a \]$/);
    assert.equal(messages[2], "unknown key 'learnng_rate' at --set rlhf.learnng_rate=1 under rlhf; did you mean 'learning_rate'?");
    assert.equal(messages[3], "rlhf.steps at --set rlhf.steps=many: expected an integer ≥ 1, got the string 'many'");
  });

  test('an invalid preset value names the preset; an unknown preset suggests the closest', () => {
    const registry = new PresetRegistry();
    registry.register({ name: 'pythia-70m', description: '', config: { rlhf: { model: 'p', stepz: 3 } } });
    const bad = issuesOf(() => resolveConfig({ schema, presets: registry, preset: 'pythia-70m' }));
    assert.equal(bad.message, "unknown key 'stepz' at preset 'pythia-70m' under rlhf; did you mean 'steps'?");
    const unknown = issuesOf(() => resolveConfig({ schema, presets: registry, text: 'preset: pythia-7m\n', file: 'config.yaml' }));
    assert.equal(unknown.message, "unknown preset 'pythia-7m' at config.yaml:1:9; did you mean 'pythia-70m'?");
    assert.throws(() => registry.register({ name: 'pythia-70m', description: '', config: {} }), /already registered/);
  });

  test('the resolved config written as YAML reads back to the same config', () => {
    const config = resolveConfig({ schema, text: 'name: r\nrlhf: {model: m, learning_rate: 1e-7}\n' });
    const text = configToYaml(config);
    assert.match(text, /^# The resolved config of run 'r'/);
    assert.deepEqual(resolveConfig({ schema, text }), config);
    const dir = temporaryDir();
    writeFileSync(join(dir, 'config.yaml'), text);
    assert.deepEqual(resolveConfig({ schema, file: join(dir, 'config.yaml') }), config);
    assert.match(readFileSync(join(dir, 'config.yaml'), 'utf8'), /learning_rate: 1e-7/);
  });

  test('closest match', () => {
    assert.equal(editDistance('learning_rat', 'learning_rate'), 1);
    assert.equal(editDistance('setps', 'steps'), 1);
    assert.equal(closestMatch('setps', ['steps', 'seed']), 'steps');
    assert.equal(closestMatch('Learning-Rate', ['learning_rate']), 'learning_rate');
    assert.equal(closestMatch('xyz', ['learning_rate', 'steps']), undefined);
  });
});

test('defineStage types ctx.config from the section schema', () => {
  const stage = defineStage({
    name: 'typed',
    dependsOn: [],
    configKey: 'typed',
    configSchema: s.object({ steps: s.integer({ default: 1 }), mode: s.enum(['a', 'b'], { default: 'a' }) }),
    run(ctx) {
      const steps: number = ctx.config.steps;
      const mode: 'a' | 'b' = ctx.config.mode;
      // @ts-expect-error steps is a number
      const wrong: string = ctx.config.steps;
      return { steps, mode, wrong };
    },
  });
  assert.equal(stage.configKey, 'typed');
});
