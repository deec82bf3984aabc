/**
 * Fuzzing run configs: YAML files (a user's config and a whole resolved one, mutated as bytes;
 * snippets YAML parsers get wrong: aliases that multiply, deep nesting, tags, merge keys, several
 * documents; sections edited as JSON, which is YAML too) and --set overrides. Each input ends in a
 * config that validates again, or a ConfigValidationError / PipelineError.
 */
import fc from 'fast-check';
import { test } from 'node:test';
import { ConfigValidationError, PipelineError, configToYaml, resolveConfig, validateConfig, type RunConfig } from '../../src/pipeline/index.js';
import { registerBuiltinPresets } from '../../src/pipeline/presets/index.js';
import { pipelineConfigSchema } from '../../src/pipeline/stages/index.js';
import { Sample, fuzz, jsonText, mutatedBytes, mutatedJson, utf8 } from './harness.js';

const presets = registerBuiltinPresets();
const schema = pipelineConfigSchema();

const userConfig = `# my run
preset: demo
name: my-run
seed: 3
rlhf:
  learning_rate: 1.4e-5
  seeds: [0, 1]
curate:
  inputs: [data/a.csv, data/b.jsonl]
  test_fraction: 0.25
`;
const resolvedConfig = configToYaml(resolveConfig({ schema, preset: 'demo-tiny', presets }));
const userSections = { name: 'my-run', seed: 3, rlhf: { learning_rate: 1.4e-5, seeds: [0, 1] }, curate: { test_fraction: 0.25, balance: true } };

const prototypeKeys = new Set(Object.getOwnPropertyNames(Object.prototype));

/** Fails (and cleans up) when a config or an override reached Object.prototype. */
function assertPrototypeUntouched(): void {
  const added = Object.getOwnPropertyNames(Object.prototype).filter((key) => !prototypeKeys.has(key));
  for (const key of added) delete (Object.prototype as Record<string, unknown>)[key];
  if (added.length > 0) throw new Error(`Object.prototype was given ${added.join(', ')}`);
}

/** A run config as given: the YAML text and the --set overrides. */
interface ConfigInput {
  yaml: Uint8Array;
  overrides: string[];
  recipe: string;
}

const input = (yaml: Uint8Array, recipe: string, overrides: string[] = []): ConfigInput =>
  Object.assign({ yaml, overrides, recipe }, { [fc.toStringMethod]: () => `${recipe}${overrides.length > 0 ? ` with --set ${overrides.join(' --set ')}` : ''}` });

/** YAML that parsers get wrong or that grows when read. */
const trickyYaml = fc.oneof(
  fc.integer({ min: 1, max: 12 }).map((levels) => {
    // Each level lists the one before ten times: 10^levels values from a few hundred bytes.
    const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i <= levels; i++) lines.push(`a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(', ')}]`);
    return `${lines.join('\n')}\nseed: *a${levels}\n`;
  }),
  fc.integer({ min: 1, max: 20_000 }).map((depth) => `rlhf: ${'['.repeat(depth)}${']'.repeat(depth)}\n`),
  fc.integer({ min: 1, max: 200 }).map((depth) => Array.from({ length: depth }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n') + ' 1\n'),
  fc.constantFrom(
    'seed: !!binary aGVsbG8=\n', 'seed: !!js/function "function () {}"\n', 'rlhf: !<tag:yaml.org,2002:python/object:os.system> {}\n',
    'base: &b {seed: 1}\n<<: *b\n', 'seed: 1\nseed: 2\n', 'seed: 1\n---\nseed: 2\n', 'seed: 1e400\n', 'seed: .nan\n', 'seed: .inf\n',
    'seed: 0x7fffffffffffffffff\n', 'name: ../../etc\n', 'out: /\n', '? [a, b]\n: 1\n', '__proto__: {seed: 1}\n', 'preset: pythia-70m\npreset: demo\n',
    'preset: nope\n', 'preset: [demo]\n', '- seed\n- 1\n', '"unterminated\n', 'seed: *missing\n', '&a seed: *a\n', '\t seed: 1\n', '%YAML 9.9\n---\nseed: 1\n',
  ),
).map((text) => input(utf8(text), `tricky ${JSON.stringify(text.slice(0, 120))}`));

const keyPath = fc.oneof(fc.constantFrom('seed', 'name', 'rlhf.learning_rate', 'rlhf.seeds', 'curate.inputs', 'preset', 'rlhf', 'a..b', '.x', 'x.', '__proto__.polluted', 'constructor.prototype.x'), fc.string({ maxLength: 10 }));
const overrideValue = fc.oneof(fc.constantFrom('1', '-1', '1e-5', 'yes', 'null', '~', '[1, 2]', '{a: 1}', '[', '*a', '!!binary x', ''), fc.string({ maxLength: 10 }));
const overrides = fc.array(fc.oneof(fc.tuple(keyPath, overrideValue).map(([k, v]) => `${k}=${v}`), fc.string({ maxLength: 12 })), { maxLength: 3 });

const inputs = fc.oneof(
  fc.tuple(mutatedBytes(new Sample(utf8(userConfig), 'user config')), overrides).map(([sample, set]) => input(sample.bytes, sample.recipe, set)),
  mutatedBytes(new Sample(utf8(resolvedConfig), 'resolved demo-tiny config')).map((sample) => input(sample.bytes, sample.recipe)),
  mutatedJson(userSections).map(({ value, recipe }) => input(utf8(jsonText(value)), `user sections as JSON: ${recipe}`)),
  trickyYaml,
  fc.tuple(fc.constant(input(utf8(userConfig), 'user config')), overrides).map(([base, set]) => input(base.yaml, base.recipe, set)),
);

test('run configs: every input ends in a config that validates again, or a ConfigValidationError or PipelineError', async (t) => {
  await fuzz(t, {
    name: 'run config',
    inputs,
    parse({ yaml, overrides: set }: ConfigInput) {
      try {
        return resolveConfig({ schema, presets, text: Buffer.from(yaml).toString('utf8'), file: 'config.yaml', overrides: set });
      } finally {
        assertPrototypeUntouched();
      }
    },
    refusals: [ConfigValidationError, PipelineError],
    bytes: ({ yaml, overrides: set }) => yaml.byteLength + set.join('').length,
    check(result) {
      // What resolveConfig returns is what a run writes to config.yaml and reads back.
      validateConfig(schema, JSON.parse(JSON.stringify(result)) as RunConfig);
    },
  });
});
