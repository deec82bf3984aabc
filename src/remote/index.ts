/** Models served over HTTP by OpenAI-compatible servers (vLLM, TGI, llama.cpp, irlens serve-lm), used as irlens uses local ones. */
export { CompletionCache } from './completion-cache.js';
export { CompletionsClient, DEFAULT_CLIENT_SETTINGS, type ClientSettings } from './completions-client.js';
export { RemoteModelError, RemoteServerError } from './errors.js';
export { describeRemoteModel, isRemoteModel, parseRemoteModel, type RemoteModel } from './model-spec.js';
export { ServedModel, openServedModel, type GeneratedText, type Sampling, type SampledText, type ServedProvenance } from './served-model.js';
