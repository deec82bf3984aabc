import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LayerNorm, Linear, Module, ModuleList, NnError, Rng, StateDictError, initWeights } from '../../src/nn/index.js';
import { sum, tensor, tidy, zeros, type Tensor } from '../../src/tensor/index.js';

/** A miniature of GPT-NeoX's naming: gpt_neox.layers.N.attention.query_key_value, ... */
class Attention extends Module {
  readonly queryKeyValue = this.addModule('query_key_value', new Linear(4, 12));
  readonly dense = this.addModule('dense', new Linear(4, 4, { bias: false }));
}

class Layer extends Module {
  readonly inputLayernorm = this.addModule('input_layernorm', new LayerNorm(4));
  readonly attention = this.addModule('attention', new Attention());
}

class Backbone extends Module {
  readonly embedIn: Tensor;
  readonly layers = this.addModule('layers', new ModuleList([new Layer(), new Layer()]));
  constructor() {
    super();
    this.embedIn = this.addParameter('embed_in', zeros([10, 4]));
  }
}

class Model extends Module {
  readonly gptNeox = this.addModule('gpt_neox', new Backbone());
  readonly embedOut = this.addModule('embed_out', new Linear(4, 10, { bias: false }));
}

const layerNames = (i: number) => [
  `gpt_neox.layers.${i}.input_layernorm.weight`,
  `gpt_neox.layers.${i}.input_layernorm.bias`,
  `gpt_neox.layers.${i}.attention.query_key_value.weight`,
  `gpt_neox.layers.${i}.attention.query_key_value.bias`,
  `gpt_neox.layers.${i}.attention.dense.weight`,
];
const allNames = ['gpt_neox.embed_in', ...layerNames(0), ...layerNames(1), 'embed_out.weight'];

describe('Module', () => {
  it('names parameters with dotted paths in registration order, and the tensors carry them', () => {
    const model = new Model();
    const named = model.namedParameters();
    assert.deepEqual(named.map(([n]) => n), allNames);
    for (const [name, t] of named) {
      assert.equal(t.name, name);
      assert.equal(t.requiresGrad, true);
    }
    assert.equal(model.gptNeox.layers.get(1).attention.queryKeyValue.weight.name, 'gpt_neox.layers.1.attention.query_key_value.weight');
    assert.deepEqual(model.parameters(), named.map(([, t]) => t));
    assert.equal(model.parameterCount(), 40 + 2 * (4 + 4 + 48 + 12 + 16) + 40);
  });

  it('lists modules, and propagates train()/eval() to every child', () => {
    const model = new Model();
    const names = model.namedModules().map(([n]) => n);
    assert.deepEqual(names.slice(0, 5), ['', 'gpt_neox', 'gpt_neox.layers', 'gpt_neox.layers.0', 'gpt_neox.layers.0.input_layernorm']);
    assert.equal(names.at(-1), 'embed_out');
    model.eval();
    assert.ok(model.namedModules().every(([, m]) => !m.training));
    model.train();
    assert.ok(model.namedModules().every(([, m]) => m.training));
    assert.deepEqual([...model.gptNeox.layers].length, 2);
  });

  it('freezes and unfreezes parameters by name', () => {
    const model = new Model();
    model.freeze().unfreeze((name) => name.startsWith('gpt_neox.layers.1.') || name === 'embed_out.weight');
    const trainable = model.namedParameters().filter(([, t]) => t.requiresGrad).map(([n]) => n);
    assert.deepEqual(trainable, [...layerNames(1), 'embed_out.weight']);
    assert.equal(model.parameterCount({ trainableOnly: true }), 84 + 40);
  });

  it('round-trips a state dict into a fresh model', () => {
    const source = new Model();
    initWeights(source, new Rng(1));
    const target = new Model();
    const result = target.loadStateDict(source.stateDict());
    assert.deepEqual(result, { missingKeys: [], unexpectedKeys: [] });
    for (const [name, t] of target.stateDict()) assert.deepEqual(t.toArray(), source.stateDict().get(name)!.toArray(), name);
    assert.notEqual(target.parameters()[0], source.parameters()[0], 'values are copied, not shared');
  });

  it('reports missing, unexpected and mis-shaped keys, and copies nothing', () => {
    const model = new Model();
    const state = new Map(new Model().stateDict());
    state.delete('embed_out.weight');
    state.set('gpt_neox.extra', zeros([1]));
    state.set('gpt_neox.embed_in', tensor([[1, 2]]));
    const error = (() => {
      try {
        model.loadStateDict(state);
      } catch (e) {
        return e;
      }
      assert.fail('expected a StateDictError');
    })();
    assert.ok(error instanceof StateDictError);
    assert.deepEqual(error.missingKeys, ['embed_out.weight']);
    assert.deepEqual(error.unexpectedKeys, ['gpt_neox.extra']);
    assert.deepEqual(error.shapeMismatches, [{ key: 'gpt_neox.embed_in', expected: [10, 4], got: [1, 2] }]);
    assert.match(error.message, /missing key.*'embed_out\.weight'/);
    assert.match(error.message, /'gpt_neox\.embed_in': the model has \[10, 4\], the state dict has \[1, 2\]/);
    assert.ok(model.gptNeox.embedIn.toArray().every((v) => v === 0), 'nothing was copied');

    state.set('gpt_neox.embed_in', zeros([10, 4]).detach());
    state.get('gpt_neox.layers.0.input_layernorm.bias')!.data.fill(7);
    const result = model.loadStateDict(state, { strict: false });
    assert.deepEqual(result, { missingKeys: ['embed_out.weight'], unexpectedKeys: ['gpt_neox.extra'] });
    assert.ok(model.gptNeox.layers.get(0).inputLayernorm.bias!.toArray().every((v) => v === 7));
  });

  it('keeps parameters made inside tidy() alive', () => {
    const model = tidy(() => {
      const m = new Model();
      initWeights(m, new Rng(2));
      return m; // a Module is opaque to tidy(), so only keep() saves its parameters
    });
    assert.ok(model.parameters().every((t) => !t.isDisposed));
  });

  it('rejects bad and duplicate names and lists tied weights once', () => {
    class Bad extends Module {
      constructor(name: string, twice = false) {
        super();
        this.addParameter(name, zeros([1]));
        if (twice) this.addParameter(name, zeros([1]));
      }
    }
    assert.throws(() => new Bad('a.b'), NnError);
    assert.throws(() => new Bad(''), NnError);
    assert.throws(() => new Bad('w', true), /already registered/);

    class Head extends Module {
      constructor(weight: Tensor) {
        super();
        this.addParameter('weight', weight);
      }
    }
    class Tied extends Module {
      readonly embed = this.addModule('embed', new Linear(3, 5, { bias: false }));
      readonly head = this.addModule('head', new Head(this.embed.weight));
    }
    const tied = new Tied();
    assert.deepEqual(tied.namedParameters().map(([n]) => n), ['embed.weight']);
    assert.deepEqual([...tied.stateDict().keys()], ['embed.weight', 'head.weight']);
    assert.equal(tied.parameterCount(), 15);
  });
});

describe('Module.dispose', () => {
  it('releases every parameter and gradient', () => {
    const layer = new Linear(3, 2);
    sum(layer.forward(tensor([1, 2, 3], [1, 3]))).backward();
    layer.dispose();
    assert.ok(layer.parameters().every((p) => p.isDisposed && p.grad === null));
  });
});
