/**
 * torch's nn.Embedding(padding_idx=...): a lookup table whose padding row receives no gradient
 * from the lookup, so training never moves it (Llama's and RoBERTa's embeddings are built this
 * way in transformers). The row can still learn through other uses of the same tensor, such as
 * a tied language-model head.
 */
import { Embedding, type Rng } from '../nn/index.js';
import * as T from '../tensor/index.js';
import type { Tensor } from '../tensor/index.js';

export class PaddedEmbedding extends Embedding {
  constructor(
    numEmbeddings: number,
    embeddingDim: number,
    readonly paddingIdx: number | null,
  ) {
    super(numEmbeddings, embeddingDim);
  }

  /** Normal(0, std) as any embedding, then the padding row zeroed, as transformers initialises it. */
  override resetParameters(rng: Rng, std: number): void {
    super.resetParameters(rng, std);
    const pad = this.paddingIdx;
    if (pad !== null && pad < this.numEmbeddings) T.writeHost(this.weight, new Float32Array(this.embeddingDim), pad * this.embeddingDim);
  }

  override forward(ids: Tensor): Tensor {
    const looked = super.forward(ids);
    const pad = this.paddingIdx;
    if (pad === null || pad >= this.numEmbeddings || !this.weight.requiresGrad || !T.isGradEnabled()) return looked;
    const isPad = new Float32Array(ids.size);
    let any = false;
    ids.ids.forEach((id, i) => {
      if (id === pad) isPad[i] = 1;
      any ||= id === pad;
    });
    if (!any) return looked;
    // The same values, but padding positions read a detached copy of the padding row.
    const padRow = T.slice(this.weight.detach(), 0, pad, pad + 1);
    return T.where(T.tensor(isPad, [...ids.shape, 1], false, ids.backend), padRow, looked);
  }
}
