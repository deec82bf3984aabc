import type { Activation } from '../io/config.js';
import * as T from '../tensor/index.js';
import type { Tensor } from '../tensor/index.js';

/** GELU's tanh approximation: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))). */
function geluTanh(x: Tensor): Tensor {
  const inner = T.mul(T.add(x, T.mul(T.mul(T.mul(x, x), x), 0.044715)), Math.sqrt(2 / Math.PI));
  return T.mul(T.mul(x, 0.5), T.add(T.tanh(inner), 1));
}

/** The function a config's hidden_act names. */
export function activation(name: Activation): (x: Tensor) => Tensor {
  switch (name) {
    case 'gelu':
      return T.gelu;
    case 'gelu_new':
    case 'gelu_pytorch_tanh':
      return geluTanh;
    case 'relu':
      return T.relu;
    case 'silu':
      return T.silu;
  }
}
