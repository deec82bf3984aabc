/** Checkpoint I/O: safetensors, torch .bin, checkpoint folders and config.json; models and data sets from the hub. */
export { CheckpointError, ConfigError, OutsideFolderError, UnsafePickleError, WriteFailedError, type WriteOutcome } from './errors.js';
export { insideFolder, modelFolderFile, type FolderReference } from './inside-folder.js';
export { elementCount, type TensorMap, type TensorRecord } from './record.js';
export {
  MAX_HEADER_BYTES,
  readSafetensors,
  readSafetensorsHeader,
  writeSafetensors,
  type ReadSafetensorsOptions,
  type SafetensorsEntry,
  type SafetensorsHeader,
  type WriteSafetensorsOptions,
} from './safetensors.js';
export { readTorchBin } from './torch-bin.js';
export { loadCheckpoint, readShardedCheckpoint, readWeightMap, type CheckpointFormat, type LoadedCheckpoint } from './checkpoint.js';
export {
  PROBLEM_TYPES,
  SUPPORTED_ACTIVATIONS,
  SUPPORTED_MODEL_TYPES,
  configToJson,
  parseConfig,
  readConfig,
  writeConfig,
  type Activation,
  type BaseConfig,
  type GptNeoxConfig,
  type LlamaConfig,
  type ModelConfig,
  type ModelType,
  type ProblemType,
  type RobertaConfig,
} from './config.js';
export { resolveModel, resolveModelDetails, parseModelId, type ResolvedModel } from './hub.js';
export { resolveDataset, type ResolvedDataset } from './hub-dataset.js';
export { isRepoIdShaped, parseRepoId, type HubOptions, type ResolvedSnapshot } from './hub-snapshot.js';
export {
  HubError, HubAuthError, HubConnectionError, HubDownloadError, HubNotFoundError, HubOfflineError, HubRepoContentError, RepoIdError, type RepoType,
} from './hub-errors.js';
