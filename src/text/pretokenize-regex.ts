/**
 * GPT-2's pre-tokenizer regex, written so that JavaScript splits text where the Rust tokenizers
 * library (Oniguruma regexes) does. Both the BPE trainer and the Tokenizer use it, so a tokenizer
 * irlens trains and the encodings irlens makes agree with what transformers would do.
 */

/**
 * The fields of @huggingface/tokenizers' pre-tokenizer objects used here, written out because the
 * package's type declarations do not resolve under NodeNext (their imports lack extensions).
 */
interface LibraryPreTokenizer {
  config?: { type?: string };
  /** ByteLevel's split regex. */
  pattern?: RegExp;
  /** A Sequence's parts. */
  tokenizers?: (LibraryPreTokenizer | null)[];
}

/**
 * Unicode's White_Space, which is Oniguruma's \s. JavaScript's \s differs in two code points: it
 * counts U+FEFF (the byte-order mark, not a space to Unicode) and leaves out U+0085 (NEL).
 */
const WHITESPACE = '\\t\\n\\v\\f\\r \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';

/** `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+` with Oniguruma's \s. */
export const GPT2_PRETOKENIZE_REGEX = new RegExp(
  `'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^${WHITESPACE}\\p{L}\\p{N}]+|[${WHITESPACE}]+(?![^${WHITESPACE}])|[${WHITESPACE}]+`,
  'gu',
);

/**
 * Gives every ByteLevel pre-tokenizer in a @huggingface/tokenizers pipeline the regex above in
 * place of the library's own, which uses JavaScript's \s and so splits differently around BOMs and
 * NELs: " \ufeffa" and "a \u0085b" split as [" ", "\ufeff", "a"] and ["a", " \u0085", "b"] in
 * JavaScript, but [" \ufeff", "a"] and ["a", " ", "\u0085", "b"] in Rust.
 */
export function useRustPretokenizeRegex(preTokenizer: LibraryPreTokenizer | null): void {
  if (preTokenizer === null) return;
  if (preTokenizer.config?.type === 'ByteLevel') preTokenizer.pattern = GPT2_PRETOKENIZE_REGEX;
  preTokenizer.tokenizers?.forEach(useRustPretokenizeRegex);
}
