/**
 * The parity suite's greedy-generation check (golden key greedy_ids), through
 * src/models/generation.ts.
 *
 * greedy_ids is what transformers' generate() returned for the golden batch: the left-padded
 * prompts followed by greedy_max_new_tokens tokens per row, with pad_token_id after a row's eos.
 * irlens generates from the same padded batch (eos from the model's config, as
 * generation_config.json has it), and its new tokens, padded the same way, must match token for
 * token. golden.json's greedy_min_top2_logit_gap says how close the reference came to a tie.
 */
import { generate, type GenerationModel } from '../../src/models/generation.js';
import { position } from './compare.js';
import { goldenTensor, type CheckResult, type FixtureRun } from './fixture-run.js';

function rows(data: ArrayLike<number>, shape: readonly number[]): number[][] {
  const [count, columns] = shape as [number, number];
  return Array.from({ length: count }, (_, r) => Array.from({ length: columns }, (_, c) => data[r * columns + c]!));
}

export function checkGreedy(run: FixtureRun): CheckResult {
  const { json } = run.goldens;
  const maxNewTokens = json.greedy_max_new_tokens;
  const padTokenId = json.pad_token_id;
  if (!Number.isSafeInteger(maxNewTokens) || !Number.isSafeInteger(padTokenId)) {
    throw new Error(`golden.json must give greedy_max_new_tokens and pad_token_id as integers to check greedy_ids (got ${JSON.stringify(maxNewTokens)} and ${JSON.stringify(padTokenId)})`);
  }
  if (json.padding_side !== undefined && json.padding_side !== 'left') {
    throw new Error(`golden.json has padding_side ${JSON.stringify(json.padding_side)}; greedy_ids are checked for left-padded prompts, as generation pads them`);
  }
  const inputIds = goldenTensor(run.goldens, 'input_ids');
  const mask = run.goldens.tensors.get('attention_mask');
  const ids = rows(inputIds.data, inputIds.shape);
  const attentionMask = mask ? rows(mask.data, mask.shape) : ids.map((row) => row.map(() => 1));
  const golden = goldenTensor(run.goldens, 'greedy_ids');
  const promptLength = inputIds.shape[1]!;
  if (golden.shape[0] !== ids.length || golden.shape[1] !== promptLength + (maxNewTokens as number)) {
    throw new Error(`greedy_ids has shape [${golden.shape.join(', ')}]; expected [${ids.length}, ${promptLength} + ${maxNewTokens}] (prompts then greedy_max_new_tokens tokens)`);
  }

  const result = generate(run.model as unknown as GenerationModel, { ids, attentionMask }, {
    maxNewTokens: maxNewTokens as number,
    padTokenId: padTokenId as number,
  });
  const expected = rows(golden.data, golden.shape).map((row) => row.slice(promptLength));
  let mismatches = 0;
  let first: string | undefined;
  expected.forEach((row, b) => {
    const ours = result.newTokens[b]!;
    row.forEach((token, i) => {
      const actual = i < ours.length ? ours[i]! : padTokenId;
      if (actual === token) return;
      mismatches++;
      first ??= `first at ${position(b * row.length + i, [expected.length, row.length])}: ${actual} vs ${token}; ours ${JSON.stringify(ours)}, golden ${JSON.stringify(row)}`;
    });
  });
  const gap = typeof json.greedy_min_top2_logit_gap === 'number' ? `; the reference's smallest top-2 logit gap was ${json.greedy_min_top2_logit_gap.toExponential(2)}` : '';
  return {
    measure: 'differing tokens',
    error: mismatches,
    tolerance: 0,
    detail: `${first ?? `all ${expected.length}×${maxNewTokens} new tokens equal`}${gap}`,
  };
}
