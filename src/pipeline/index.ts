/**
 * The run machinery: run folders, stages with completion markers and fingerprints, resume after a
 * kill, the run lock, run.log and metrics.jsonl, and configs (schema, YAML with positions, presets,
 * --set overrides). What the stages compute lives in the science layers; this layer only runs them.
 */
export { editDistance, closestMatch } from './closest.js';
export {
  TOP_LEVEL_FIELDS,
  buildConfigSchema,
  configToYaml,
  loadConfigFile,
  mergeLayers,
  overridesLayer,
  parseConfigYaml,
  resolveConfig,
  validateConfig,
  writeResolvedConfig,
  type ConfigLayer,
  type ResolveConfigOptions,
  type RunConfig,
} from './config.js';
export {
  ConfigValidationError,
  PipelineError,
  RunLockedError,
  StageFailedError,
  describeOrigin,
  type ConfigIssue,
  type ConfigOrigin,
} from './errors.js';
export { canonicalJson, hashFile, hashJson, hashPath, listFiles, sha256 } from './hash.js';
export { LOCK_FILE, acquireRunLock, type RunLock } from './lock.js';
export { RunLog, type LogLevel, type LogLine, type Logger } from './log.js';
export { MetricsWriter, readMetrics, type MetricRecord, type MetricValue, type StageMetrics } from './metrics.js';
export { PresetRegistry, presets, registerPreset, type Preset } from './presets.js';
export { CHECKPOINTS_DIR } from './checkpoints.js';
export { MARKER_FILE, readStageMarker, type FingerprintParts, type StageMarker, type StageOutput } from './marker.js';
export { runPipeline, type PipelineResult, type RunPipelineOptions } from './run.js';
export type { StageResult } from './run-stage.js';
export {
  cloneJson,
  describeSchema,
  formatPath,
  s,
  schemaAt,
  validateAgainst,
  type Infer,
  type NumberOptions,
  type ObjectSchema,
  type OriginLookup,
  type Schema,
  type SchemaCommon,
  type SchemaNode,
  type StringPattern,
} from './schema.js';
export {
  configSchemaFor,
  defineStage,
  stageOrder,
  withDependencies,
  type Stage,
  type StageContext,
  type StageInputContext,
  type StageSummary,
} from './stage.js';
