/**
 * Run configs: the top-level keys plus one section per stage, assembled into one schema; YAML
 * files parsed with positions; presets, the user's file and `--set key.path=value` overrides
 * merged in that order and validated together, so every problem is reported with where it came
 * from (config.yaml:12:3, --set ..., preset 'demo').
 */
import { readFileSync } from 'node:fs';
import { LineCounter, isMap, isScalar, isSeq, parse as parseYaml, parseDocument, stringify, type Node } from 'yaml';
import { writeFileAtomic } from '../io/atomic.js';
import { ConfigValidationError, PipelineError, describeOrigin, type ConfigIssue, type ConfigOrigin } from './errors.js';
import { presets as defaultPresets, type PresetRegistry } from './presets.js';
import { cloneJson, s, schemaAt, validateAgainst, type ObjectSchema, type OriginLookup, type SchemaNode } from './schema.js';

/** The keys every config has, besides the stage sections. */
export interface RunConfig {
  /** The run's name: its folder is `<out>/<name>`. */
  name: string;
  /** The seed every stage's random generator is forked from. */
  seed: number;
  /** The folder that holds the runs. */
  out: string;
  /** The preset the config started from, if any. */
  preset?: string;
  [section: string]: unknown;
}

export const TOP_LEVEL_FIELDS = {
  name: s.string({
    default: 'run',
    pattern: { regex: /^(?!\.)[A-Za-z0-9._-]+$/, description: "a folder name (letters, digits, '.', '_', '-'; not starting with '.')" },
    description: 'the run folder is <out>/<name>',
  }),
  seed: s.integer({ min: 0, default: 0, description: 'the seed of every random generator in the run' }),
  out: s.string({ nonEmpty: true, default: 'runs', description: 'the folder that holds the runs' }),
  preset: s.optional(s.string({ description: 'the preset this config starts from' })),
} as const;

/** The whole config schema: the top-level keys and the given sections (stage config keys). */
export function buildConfigSchema(sections: Iterable<readonly [string, ObjectSchema]>): ObjectSchema<RunConfig> {
  const fields: Record<string, SchemaNode> = { ...TOP_LEVEL_FIELDS };
  for (const [key, section] of sections) {
    if (Object.hasOwn(TOP_LEVEL_FIELDS, key)) throw new PipelineError(`config section '${key}' clashes with the top-level key of that name`);
    const existing = fields[key];
    if (existing !== undefined && existing !== section) {
      throw new PipelineError(`two different schemas were registered for the config section '${key}'; stages that share a section must share its schema`);
    }
    fields[key] = section;
  }
  return s.object(fields) as ObjectSchema<RunConfig>;
}

// ---------------------------------------------------------------------------------------------
// Layers: a partial config plus where each of its keys came from.

/** The first line of a yaml error message, without its ' at line L, column C:' (we give positions ourselves). */
const firstLine = (message: string) => message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');

const pathKey = (path: readonly string[]) => path.join('\u0000');

interface PathOrigins {
  key?: ConfigOrigin;
  value?: ConfigOrigin;
}

/** One source of config values: a preset, a YAML file, or the --set overrides. */
export interface ConfigLayer {
  value: Record<string, unknown>;
  origins: Map<string, PathOrigins>;
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Keys from a config file or a --set are data: '__proto__' is a key like any other (and then an
 * unknown one), never the object's prototype, so that `--set __proto__.x=1` cannot reach Object.prototype.
 */
const ownValue = (object: Record<string, unknown>, key: string): unknown => (Object.hasOwn(object, key) ? object[key] : undefined);
const setOwn = (object: Record<string, unknown>, key: string, value: unknown): void => {
  Object.defineProperty(object, key, { value, writable: true, enumerable: true, configurable: true });
};

/** Every key path of a plain value gets the same origin (presets have no positions). */
function layerFromObject(value: Record<string, unknown>, origin: ConfigOrigin): ConfigLayer {
  const origins = new Map<string, PathOrigins>();
  const visit = (node: unknown, path: string[]) => {
    origins.set(pathKey(path), { key: origin, value: origin });
    if (isPlainObject(node)) for (const [k, v] of Object.entries(node)) visit(v, [...path, k]);
    else if (Array.isArray(node)) node.forEach((v, i) => visit(v, [...path, String(i)]));
  };
  visit(value, []);
  return { value: cloneJson(value), origins };
}

/**
 * YAML nested deeper than this is refused before the yaml library sees it. The library parses
 * nesting by recursion, and a few thousand levels can make V8 abort the whole process (a fatal
 * "RegExpCompiler Allocation failed"), not just throw. A run config nests three or four levels.
 */
export const MAX_YAML_NESTING = 64;

/**
 * An upper bound on how deep YAML text nests: flow brackets ([ {) and compact entries (`- - x`),
 * counted everywhere, inside quotes and comments too, so that nothing can hide nesting from it.
 */
function yamlNesting(text: string): number {
  let brackets = 0;
  let deepest = 0;
  for (const line of text.split(/\r\n|\r|\n/u)) {
    const compact = /^\s*((?:[-?:](?:\s+|$))*)/u.exec(line)![1]!.replace(/\s+/gu, '').length;
    deepest = Math.max(deepest, brackets + compact);
    for (const char of line) {
      if (char === '[' || char === '{') deepest = Math.max(deepest, ++brackets + compact);
      else if ((char === ']' || char === '}') && brackets > 0) brackets--;
    }
  }
  return deepest;
}

/** A problem with the nesting of `text`, if it nests too deep to parse safely. */
function nestingProblem(text: string): string | undefined {
  const depth = yamlNesting(text);
  if (depth <= MAX_YAML_NESTING) return undefined;
  return `the YAML nests ${depth} levels deep (counting [, { and compact - entries), more than the ${MAX_YAML_NESTING} a config may have; a run config nests a few levels (section, key, value)`;
}

/**
 * Parses a YAML config, recording the line and column of every key and value. YAML syntax errors
 * (including a key given twice) and a document that is not a mapping throw a ConfigValidationError.
 */
export function parseConfigYaml(text: string, file: string): ConfigLayer {
  const lineCounter = new LineCounter();
  const position = (offset: number): ConfigOrigin => {
    const { line, col } = lineCounter.linePos(offset);
    return { kind: 'file', file, line, column: col };
  };
  const where = (origin: ConfigOrigin) => (origin.kind === 'file' ? `${origin.file}:${origin.line}:${origin.column}` : '');
  const tooDeep = nestingProblem(text);
  if (tooDeep !== undefined) {
    const origin: ConfigOrigin = { kind: 'file', file, line: 1, column: 1 };
    throw new ConfigValidationError([{ kind: 'syntax', path: '', origin, message: `${where(origin)}: ${tooDeep}` }]);
  }
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigValidationError(
      doc.errors.map((error) => {
        const origin = position(error.pos[0]);
        const message = firstLine(error.message);
        return { kind: 'syntax', path: '', origin, message: `${where(origin)}: YAML syntax error: ${message}` };
      }),
    );
  }
  const origins = new Map<string, PathOrigins>();
  const visit = (node: unknown, path: string[]) => {
    if (isMap(node)) {
      for (const pair of node.items) {
        const keyNode = pair.key as Node | null;
        const key = isScalar(keyNode) ? String(keyNode.value) : String(keyNode);
        const keyOrigin = keyNode?.range ? position(keyNode.range[0]) : undefined;
        const valueNode = pair.value as Node | null;
        const valueOrigin = valueNode?.range ? position(valueNode.range[0]) : keyOrigin;
        origins.set(pathKey([...path, key]), { key: keyOrigin, value: valueOrigin });
        visit(valueNode, [...path, key]);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => {
        const itemOrigin = (item as Node | null)?.range ? position((item as Node).range![0]) : undefined;
        origins.set(pathKey([...path, String(i)]), { key: itemOrigin, value: itemOrigin });
        visit(item, [...path, String(i)]);
      });
    }
  };
  let value: unknown;
  try {
    value = doc.contents === null ? {} : doc.toJS({ maxAliasCount: 1000 });
  } catch (error) {
    // The yaml library refuses aliases that would expand past maxAliasCount values (a "billion laughs" file).
    const origin = position(0);
    throw new ConfigValidationError([
      { kind: 'syntax', path: '', origin, message: `${where(origin)}: the YAML cannot be read into values (${firstLine((error as Error).message)}); write the values out instead of repeating aliases` },
    ]);
  }
  if (!isPlainObject(value)) {
    const origin = position(doc.contents?.range?.[0] ?? 0);
    throw new ConfigValidationError([
      { kind: 'syntax', path: '', origin, message: `${where(origin)}: a config must be a mapping of keys to values (like 'seed: 1'), not ${Array.isArray(value) ? 'a list' : 'a single value'}` },
    ]);
  }
  origins.set(pathKey([]), { key: position(0), value: position(0) });
  visit(doc.contents, []);
  return { value, origins };
}

/** Reads and parses a YAML config file; `displayName` is how errors name it (default: the path). */
export function loadConfigFile(path: string, displayName = path): ConfigLayer {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new PipelineError(
      code === 'ENOENT' ? `config file ${displayName} does not exist; check the path` : `config file ${displayName} cannot be read (${code ?? (error as Error).message})`,
    );
  }
  return parseConfigYaml(text, displayName);
}

/** The value a --set string stands for, read according to the schema at its key path. */
function coerceOverride(node: SchemaNode | undefined, raw: string): { value: unknown } | { problem: string } {
  const trimmed = raw.trim();
  if (node?.nullable && (trimmed === 'null' || trimmed === '~')) return { value: null };
  const asYaml = (): { value: unknown } | { problem: string } => {
    const tooDeep = nestingProblem(raw);
    if (tooDeep !== undefined) return { problem: tooDeep };
    try {
      return { value: parseYaml(raw) ?? null };
    } catch (error) {
      return { problem: `the value is not valid YAML: ${firstLine((error as Error).message)}` };
    }
  };
  if (node === undefined) return asYaml();
  switch (node.kind) {
    case 'string':
    case 'enum':
      return { value: raw };
    case 'number': {
      const number = trimmed === '' ? NaN : Number(trimmed);
      return { value: Number.isNaN(number) ? raw : number };
    }
    case 'boolean': {
      const lower = trimmed.toLowerCase();
      if (['true', 'yes', 'on', '1'].includes(lower)) return { value: true };
      if (['false', 'no', 'off', '0'].includes(lower)) return { value: false };
      return { value: raw };
    }
    default:
      return asYaml();
  }
}

/**
 * Turns `--set key.path=value` strings into a layer. Values are coerced by the schema at their
 * path ('1e-5' → a number, 'yes' → true, '[1, 2]' → a list); malformed ones are added to `issues`.
 */
export function overridesLayer(overrides: readonly string[], schema: ObjectSchema, issues: ConfigIssue[]): ConfigLayer {
  const layer: ConfigLayer = { value: {}, origins: new Map() };
  for (const text of overrides) {
    const origin: ConfigOrigin = { kind: 'override', text };
    const equals = text.indexOf('=');
    const pathText = equals < 0 ? text : text.slice(0, equals).trim();
    const path = pathText.split('.');
    if (equals < 0 || path.some((part) => part === '')) {
      issues.push({ kind: 'bad-override', path: pathText, origin, message: `--set ${text}: expected key.path=value (like --set rlhf.learning_rate=1e-5)` });
      continue;
    }
    const found = schemaAt(schema, path);
    const coerced = coerceOverride('node' in found ? found.node : undefined, text.slice(equals + 1));
    if ('problem' in coerced) {
      issues.push({ kind: 'bad-override', path: pathText, origin, message: `--set ${text}: ${coerced.problem}` });
      continue;
    }
    let target = layer.value;
    for (let i = 0; i < path.length - 1; i++) {
      if (!isPlainObject(ownValue(target, path[i]!))) setOwn(target, path[i]!, {});
      target = target[path[i]!] as Record<string, unknown>;
      if (!layer.origins.has(pathKey(path.slice(0, i + 1)))) layer.origins.set(pathKey(path.slice(0, i + 1)), { key: origin, value: origin });
    }
    setOwn(target, path.at(-1)!, coerced.value);
    for (const k of layer.origins.keys()) if (k.startsWith(pathKey(path) + '\u0000')) layer.origins.delete(k);
    layer.origins.set(pathKey(path), { key: origin, value: origin });
  }
  return layer;
}

/** Merges layers in order (later wins; mappings merge key by key, lists and scalars are replaced). */
export function mergeLayers(layers: readonly ConfigLayer[]): { value: Record<string, unknown>; origin: OriginLookup } {
  const merge = (base: unknown, over: unknown): unknown => {
    if (isPlainObject(base) && isPlainObject(over)) {
      const result: Record<string, unknown> = { ...base };
      for (const [k, v] of Object.entries(over)) setOwn(result, k, merge(ownValue(base, k), v));
      return result;
    }
    return cloneJson(over);
  };
  let value: Record<string, unknown> = {};
  const origins = new Map<string, PathOrigins>();
  for (const layer of layers) {
    value = merge(value, layer.value) as Record<string, unknown>;
    for (const [k, v] of layer.origins) origins.set(k, v);
  }
  const origin: OriginLookup = (path, part) => {
    for (let length = path.length; length >= 0; length--) {
      const entry = origins.get(pathKey(path.slice(0, length)));
      if (entry === undefined) continue;
      return length === path.length ? (entry[part] ?? entry.key ?? entry.value) : (entry.value ?? entry.key);
    }
    return undefined;
  };
  return { value, origin };
}

export interface ResolveConfigOptions {
  /** The whole schema (buildConfigSchema / configSchemaFor). */
  schema: ObjectSchema<RunConfig>;
  /** Where presets are looked up (default: the global registry). */
  presets?: PresetRegistry;
  /** The preset to start from (a --preset flag); default: the config file's `preset` key. */
  preset?: string;
  /** The user's YAML config file. */
  file?: string;
  /** YAML text to use instead of reading `file` (`file` then only names it in errors). */
  text?: string;
  /** `key.path=value` strings, applied last. */
  overrides?: readonly string[];
}

function sortIssues(issues: ConfigIssue[]): ConfigIssue[] {
  return issues
    .map((issue, index) => ({ issue, index }))
    .sort((a, b) => {
      const pa = a.issue.origin?.kind === 'file' ? a.issue.origin : undefined;
      const pb = b.issue.origin?.kind === 'file' ? b.issue.origin : undefined;
      if (pa && pb && pa.file === pb.file) return pa.line - pb.line || pa.column - pb.column || a.index - b.index;
      if (pa && !pb) return -1;
      if (pb && !pa) return 1;
      return a.index - b.index;
    })
    .map(({ issue }) => issue);
}

/**
 * The config a run uses: defaults ← preset (and the presets it extends) ← the user's file ←
 * overrides, validated as a whole. Throws a ConfigValidationError listing every problem.
 */
export function resolveConfig(options: ResolveConfigOptions): RunConfig {
  const issues: ConfigIssue[] = [];
  const layers: ConfigLayer[] = [];
  const fileLayer =
    options.text !== undefined
      ? parseConfigYaml(options.text, options.file ?? 'config.yaml')
      : options.file !== undefined
        ? loadConfigFile(options.file)
        : undefined;
  const overrides = overridesLayer(options.overrides ?? [], options.schema, issues);
  const presetFrom = (layer: ConfigLayer | undefined) => {
    const value = layer?.value.preset;
    return typeof value === 'string' ? value : undefined;
  };
  const presetName = options.preset ?? presetFrom(overrides) ?? presetFrom(fileLayer);
  if (presetName !== undefined) {
    const registry = options.presets ?? defaultPresets;
    try {
      const chain = registry.chain(presetName);
      layers.push(layerFromObject({ name: presetName, preset: presetName }, { kind: 'preset', name: presetName }));
      for (const preset of chain) layers.push(layerFromObject(preset.config, { kind: 'preset', name: preset.name }));
    } catch (error) {
      if (!(error instanceof ConfigValidationError)) throw error;
      const fromFile = options.preset === undefined && presetFrom(overrides) === undefined ? fileLayer?.origins.get('preset')?.value : undefined;
      const fromOverride = options.preset === undefined ? overrides.origins.get('preset')?.value : undefined;
      const origin = fromOverride ?? fromFile;
      for (const issue of error.issues) {
        issues.push(origin === undefined ? issue : { ...issue, origin, message: issue.message.replace(/^(unknown preset '[^']*')/, `$1 at ${describeOrigin(origin)}`) });
      }
      // Without the preset, the rest cannot be judged (it would supply what looks missing).
      throw new ConfigValidationError(issues);
    }
  }
  if (fileLayer !== undefined) layers.push(fileLayer);
  layers.push(overrides);
  if (presetName !== undefined) layers.push(layerFromObject({ preset: presetName }, { kind: 'preset', name: presetName }));
  const merged = mergeLayers(layers);
  const config = validateAgainst(options.schema, merged.value, issues, merged.origin) as RunConfig;
  if (issues.length > 0) throw new ConfigValidationError(sortIssues(issues));
  return config;
}

/** Validates an already-resolved config (one read back from config.yaml, or built in code). */
export function validateConfig(schema: ObjectSchema<RunConfig>, value: unknown, origin?: OriginLookup): RunConfig {
  const issues: ConfigIssue[] = [];
  const config = validateAgainst(schema, value, issues, origin) as RunConfig;
  if (issues.length > 0) throw new ConfigValidationError(sortIssues(issues));
  return config;
}

/** The config as YAML, with a header saying what it is. */
export function configToYaml(config: RunConfig): string {
  const header = `# The resolved config of run '${config.name}'${config.preset ? ` (preset '${config.preset}' + config file + --set overrides)` : ''}, written by irlens.\n`;
  return header + stringify(config, { lineWidth: 0 });
}

/** Writes the resolved config to `path` atomically. */
export function writeResolvedConfig(path: string, config: RunConfig): void {
  writeFileAtomic(path, configToYaml(config));
}
