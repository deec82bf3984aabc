/** Data sets and prompt curation: readers for JSONL/JSON/CSV/TSV/Parquet, inputs from disk or the hub, schemas, curation, the curate command. */
export {
  DataError,
  MissingFileError,
  CsvSyntaxError,
  JsonSyntaxError,
  ParquetReadError,
  UnknownColumnError,
  LabelValueError,
  EmptyDatasetError,
  DataOptionError,
  type DataLocation,
} from './errors.js';
export { DATA_FORMATS, formatFromPath, openRecords, readRecords, type DataFormat, type ReadOptions, type RecordSource, type SourceRecord } from './read.js';
export {
  SCHEMA_NAMES,
  JIGSAW_LABELS,
  detectSchema,
  resolveSchema,
  parseLabel,
  valueAt,
  type DataRow,
  type LabelValue,
  type ResolvedSchema,
  type SchemaMapper,
  type SchemaName,
  type SchemaOptions,
} from './schemas.js';
export { loadDataset, loadFile, type LoadOptions, type LoadedDataset, type LoadedFile } from './load.js';
export { isDataFilePath, isHubDatasetId, resolveDataInput, resolveDataInputs, type ResolvedInput } from './inputs.js';
export {
  DROP_REASONS,
  curate,
  curatedRowJson,
  curationParameters,
  describeReason,
  type CuratedRow,
  type CurationContext,
  type CurationOptions,
  type CurationParameters,
  type CurationResult,
  type DropReason,
  type LabelCounts,
  type LengthUnit,
  type Split,
  type SplitCounts,
  type TokenSplitter,
  type TokenizerLike,
} from './curate.js';
export { CURATED_FILE, MANIFEST_FILE, curateCommand, type CurateCommandOptions, type CurateSummary, type CurationManifest, type HubProvenance } from './curate-command.js';
export { countWords, joinPromptContinuation, normaliseForDedupe, wordSpans } from './text.js';
export { irlensVersion } from './version.js';
