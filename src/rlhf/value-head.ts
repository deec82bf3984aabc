/**
 * PPO's value head, as trlx makes it (`make_head(hidden_size, 1)`): Linear(h, 2h) → ReLU →
 * Linear(2h, 1) on the policy's final hidden state, one value per position. Initialised as
 * torch.nn.Linear is by default: weights and biases uniform in ±1/√fan_in.
 */
import { Linear, Module, randUniform, type Rng } from '../nn/index.js';
import * as T from '../tensor/index.js';
import type { Tensor } from '../tensor/index.js';

export class ValueHead extends Module {
  readonly hidden: Linear;
  readonly out: Linear;

  constructor(hiddenSize: number, rng?: Rng) {
    super();
    // Named as trlx's v_head (an nn.Sequential: 0 = Linear, 1 = ReLU, 2 = Linear).
    this.hidden = this.addModule('0', new Linear(hiddenSize, 2 * hiddenSize));
    this.out = this.addModule('2', new Linear(2 * hiddenSize, 1));
    if (rng) for (const layer of [this.hidden, this.out]) torchDefaultInit(layer, rng);
  }

  /** [batch, t, hidden] → values [batch, t]. */
  forward(hidden: Tensor): Tensor {
    const [batch, t] = hidden.shape as [number, number];
    return T.reshape(this.out.forward(T.relu(this.hidden.forward(hidden))), [batch, t]);
  }
}

function torchDefaultInit(layer: Linear, rng: Rng): void {
  const bound = 1 / Math.sqrt(layer.inFeatures);
  for (const p of [layer.weight, layer.bias!]) {
    const drawn = randUniform(p.shape, rng, -bound, bound);
    T.writeHost(p, drawn.data);
    drawn.dispose();
  }
}
