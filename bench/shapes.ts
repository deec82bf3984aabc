/** The model shapes of ../shared/bench/torch_peer.py, built the same way the peer builds them. */
import { parseConfig, type GptNeoxConfig, type RobertaConfig } from '../src/io/config.js';
import { GPTNeoXForCausalLM } from '../src/models/gpt-neox.js';
import { initWeights, type Rng } from '../src/nn/index.js';

/** Pythia-70M: 6 layers, d 512, 8 heads, vocab 50304, partial rotary, parallel residual. */
export const pythia70mConfig = (): GptNeoxConfig =>
  parseConfig({
    model_type: 'gpt_neox', vocab_size: 50304, hidden_size: 512, num_hidden_layers: 6, num_attention_heads: 8,
    intermediate_size: 2048, rotary_pct: 0.25, max_position_embeddings: 2048, use_parallel_residual: true,
    tie_word_embeddings: false, hidden_act: 'gelu',
  }) as GptNeoxConfig;

/** RoBERTa-base as a two-label classifier: 12 layers, d 768, 12 heads. */
export const robertaBaseConfig = (): RobertaConfig =>
  parseConfig({
    model_type: 'roberta', vocab_size: 50265, hidden_size: 768, num_hidden_layers: 12, num_attention_heads: 12,
    intermediate_size: 3072, max_position_embeddings: 514, type_vocab_size: 1, num_labels: 2, pad_token_id: 1,
  }) as RobertaConfig;

/** A Pythia-70M-shaped causal LM with weights drawn from rng, as the peer's freshly built model. */
export function randomPythia70m(rng: Rng): GPTNeoXForCausalLM {
  const config = pythia70mConfig();
  const model = new GPTNeoXForCausalLM(config);
  initWeights(model, rng, { std: config.initializerRange });
  return model;
}
