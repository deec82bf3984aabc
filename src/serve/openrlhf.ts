/**
 * OpenRLHF's remote reward-model contract, checked against OpenRLHF v0.11.0 (commit 3c3be62,
 * the same shape since v0.8): the trainer (openrlhf/utils/agent.py, `_fetch_rewards_via_http`;
 * openrlhf/utils/remote_rm_utils.py before v0.10) POSTs
 *   {"query": [prompt + response, ...], "prompts": [prompt, ...], "labels": [label, ...]}
 * where each query is the decoded prompt and response tokens (special tokens kept, so an EOS the
 * policy emitted is in it) and a label is the data set's --data.label_key field ("" without one).
 * It reads back "rewards" (trained on), "scores" (logged and used for dynamic filtering; "rewards"
 * when absent) and "extra_logs", each of whose values it logs per query, so every value here is a
 * list of numbers as long as "query" (openrlhf/cli/serve_rm.py answers the same way).
 */
import type { RewardInput } from '../irl/demonstrations.js';
import { BadRequestError } from './errors.js';
import { jsonObject, stringList, typeName } from './request-fields.js';

export interface GetRewardRequest {
  queries: string[];
  prompts?: string[];
  labels?: unknown[];
}

export interface GetRewardResponse {
  rewards: number[];
  scores: number[];
  extra_logs: Record<string, number[]>;
}

/** The request, checked: query a list of strings; prompts and labels, when sent, one per query. */
export function parseGetReward(body: unknown): GetRewardRequest {
  const object = jsonObject(body, '{"query": [...], "prompts": [...], "labels": [...]}');
  const queries = stringList(object, 'query');
  const request: GetRewardRequest = { queries };
  if (object.prompts !== undefined && object.prompts !== null) request.prompts = stringList(object, 'prompts', queries.length);
  if (object.labels !== undefined && object.labels !== null) {
    if (!Array.isArray(object.labels) || object.labels.length !== queries.length) {
      throw new BadRequestError(`"labels" must be a list with one item per query (${queries.length}), got ${Array.isArray(object.labels) ? `${object.labels.length} items` : typeName(object.labels)}`);
    }
    request.labels = object.labels;
  }
  return request;
}

/**
 * The response of each query: the query without its prompt. A prompt that does not begin its query
 * is refused (400) rather than guessed at: OpenRLHF cuts prompts longer than
 * --data.max_len − --rollout.max_new_tokens tokens from the left, and then no split of the query
 * is trustworthy.
 */
function responsesOf(request: GetRewardRequest, why: string): string[] {
  const prompts = request.prompts;
  if (!prompts) throw new BadRequestError(`"prompts" is required: ${why}, so each response is its query without the prompt`);
  return request.queries.map((query, i) => {
    if (!query.startsWith(prompts[i]!)) {
      throw new BadRequestError(`"query"[${i}] does not begin with "prompts"[${i}], so its response cannot be told apart; send query = prompt + response (OpenRLHF cuts a prompt longer than --data.max_len minus --rollout.max_new_tokens tokens: raise --data.max_len)`);
    }
    return query.slice(prompts[i]!.length);
  });
}

/** The text the reward reads for a prompt and a continuation of it. */
const rewardText = (prompt: string, continuation: string, input: RewardInput): string => (input === 'continuation' ? continuation : prompt + continuation);

/** What to score for a request, and how to turn the scores into OpenRLHF's answer. */
export interface ScoringPlan {
  texts: string[];
  answer(scores: readonly number[]): GetRewardResponse;
}

/**
 * The texts a reward reads for a request. Unshaped, one per query: the query whole, or its response.
 * Shaped (reward/shaped.ts's formula), two per query: the response's text and the label's, and the
 * reward is their difference, with both halves in extra_logs.
 */
export function planGetReward(request: GetRewardRequest, input: RewardInput, shaped: boolean): ScoringPlan {
  const n = request.queries.length;
  // Nothing to score needs no prompts or labels either: an empty query list gets empty lists.
  if (n === 0) return { texts: [], answer: () => ({ rewards: [], scores: [], extra_logs: {} }) };
  if (!shaped) {
    const texts = input === 'continuation' ? responsesOf(request, 'the reward reads the response alone') : request.queries;
    return { texts, answer: (scores) => ({ rewards: [...scores], scores: [...scores], extra_logs: {} }) };
  }
  const responses = responsesOf(request, 'the reward is shaped against each prompt\'s reference continuation');
  if (!request.labels) throw new BadRequestError('"labels" is required: the reward is shaped against each prompt\'s reference continuation, which OpenRLHF sends as the label (--data.label_key)');
  const references = stringList({ labels: request.labels }, 'labels', n);
  const prompts = request.prompts!;
  const texts = [...responses.map((r, i) => rewardText(prompts[i]!, r, input)), ...references.map((r, i) => rewardText(prompts[i]!, r, input))];
  return {
    texts,
    answer: (scores) => {
      const response = scores.slice(0, n);
      const reference = scores.slice(n);
      const rewards = response.map((s, i) => s - reference[i]!);
      return { rewards, scores: rewards, extra_logs: { 'irlens/response_score': response, 'irlens/reference_score': reference } };
    },
  };
}
