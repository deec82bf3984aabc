export { Adam, AdamBase, AdamW, type AdamOptions, type AdamParamState, type AdamStateDict } from './adam.js';
export { clipGradNorm } from './clip.js';
