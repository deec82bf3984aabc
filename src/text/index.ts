export * from './errors.js';
export * from './tokenizer.js';
export { truncateIds, padRows } from './batch.js';
export type { TokenizerSettings } from './files.js';
