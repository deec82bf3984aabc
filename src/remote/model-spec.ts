/**
 * A model served over HTTP by an OpenAI-compatible completions server (vLLM, TGI, SGLang,
 * llama.cpp's server, or `irlens serve-lm`), named where a model folder could be:
 *
 *   openai:http://gpu-host:8000/v1#meta-llama/Llama-3.1-8B
 *
 * The URL is the API's base, as OpenAI clients take it (the part before /completions); the part
 * after # is the server's model id. An API key, when the server wants one, is read from the
 * environment variable named by `apiKeyEnv` (OPENAI_API_KEY by default), never from the spec, so
 * it stays out of run configs and provenance.
 */
import { RemoteModelError } from './errors.js';

export const REMOTE_PREFIX = 'openai:';

export interface RemoteModel {
  /** The API's base URL, without a trailing slash (…/v1). */
  baseUrl: string;
  /** The server's model id, sent as `model` in every request. */
  model: string;
  /** The environment variable holding the API key; absent or unset: no Authorization header. */
  apiKeyEnv: string;
}

/** Whether a model argument names a served model rather than a folder or hub id. */
export const isRemoteModel = (spec: string): boolean => spec.startsWith(REMOTE_PREFIX);

/** Parses `openai:URL#MODEL`; refuses anything else with an example of the right form. */
export function parseRemoteModel(spec: string, apiKeyEnv = 'OPENAI_API_KEY'): RemoteModel {
  const example = 'openai:http://localhost:8000/v1#EleutherAI/pythia-70m';
  if (!isRemoteModel(spec)) throw new RemoteModelError(`${JSON.stringify(spec)} does not name a served model; write ${example}`);
  const body = spec.slice(REMOTE_PREFIX.length);
  const hash = body.lastIndexOf('#');
  const [url, model] = hash < 0 ? [body, ''] : [body.slice(0, hash), body.slice(hash + 1)];
  if (model.trim() === '') throw new RemoteModelError(`${JSON.stringify(spec)} names no model: add the server's model id after #, as in ${example}`);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new RemoteModelError(`${JSON.stringify(url)} in ${JSON.stringify(spec)} is not a URL; write ${example}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new RemoteModelError(`${JSON.stringify(spec)}: the server's URL must be http:// or https://, not ${parsed.protocol}`);
  }
  if (parsed.username !== '' || parsed.password !== '') {
    throw new RemoteModelError(`${JSON.stringify(spec)} carries credentials in its URL; put the API key in the environment variable ${apiKeyEnv} instead, so it stays out of run records`);
  }
  return { baseUrl: parsed.href.replace(/\/+$/, ''), model, apiKeyEnv };
}

/** How a served model is named in provenance: the spec without any secret. */
export const describeRemoteModel = (remote: RemoteModel): string => `${REMOTE_PREFIX}${remote.baseUrl}#${remote.model}`;
