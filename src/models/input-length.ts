/**
 * How many tokens a model reads in one row, special tokens included: the one truncation rule for
 * every path that feeds text to a model of fixed length (scoring with a classifier, training one).
 */

/** The config fields the limit depends on. */
export interface PositionLimits {
  modelType: string;
  maxPositionEmbeddings: number;
  padTokenId: number | null;
}

/**
 * One token per position embedding, less the padding_idx + 1 positions RoBERTa never gives a
 * real token (it numbers them padding_idx + 1, padding_idx + 2, ..., as transformers'
 * create_position_ids_from_input_ids does), and no more than the tokenizer's model_max_length.
 */
export function maxInputTokens(config: PositionLimits, tokenizer?: { readonly modelMaxLength: number | undefined }): number {
  const unused = config.modelType === 'roberta' ? (config.padTokenId ?? 0) + 1 : 0;
  return Math.min(config.maxPositionEmbeddings - unused, tokenizer?.modelMaxLength ?? Infinity);
}
