import { keep, writeHost, type Tensor } from '../tensor/index.js';
import { NnError, StateDictError, type ShapeMismatch } from './errors.js';

export interface LoadStateDictResult {
  missingKeys: string[];
  unexpectedKeys: string[];
}

/**
 * A building block of a model: it owns named parameters and named child modules, so that every
 * parameter has a dotted path (`gpt_neox.layers.0.attention.query_key_value.weight`) matching the
 * transformers checkpoint it loads from and saves to. Subclasses register what they own in their
 * constructor with addParameter / addModule and define their own forward method.
 */
export class Module {
  /** True while training (dropout active); set for the whole tree by train() / eval(). */
  training = true;
  private readonly ownParameters = new Map<string, Tensor>();
  private readonly children = new Map<string, Module>();
  private parent: Module | null = null;
  private nameInParent = '';

  protected addModule<M extends Module>(name: string, module: M): M {
    this.checkNewName(name);
    if (module.parent) throw new NnError(`addModule('${name}'): this module is already attached as '${module.path()}'`);
    this.children.set(name, module);
    module.parent = this;
    module.nameInParent = name;
    module.train(this.training);
    // The child's parameters were named relative to it; now their full path is known.
    for (const [dotted, p] of module.namedParameters()) p.name = joinPath(module.path(), dotted);
    return module;
  }

  /** Registers t as a trainable parameter: it requires grad, carries its dotted name, and outlives tidy(). */
  protected addParameter(name: string, t: Tensor): Tensor {
    this.checkNewName(name);
    if (t.dtype !== 'float32') throw new NnError(`addParameter('${name}'): parameters must be float32 tensors`);
    if (t.gradNode) throw new NnError(`addParameter('${name}'): parameters must be leaf tensors; pass t.detach() instead of an op's output`);
    this.ownParameters.set(name, keep(t));
    t.requiresGrad = true;
    t.name = joinPath(this.path(), name);
    return t;
  }

  /**
   * Every parameter with its dotted name: this module's own first, then each child's, in
   * registration order (as torch's named_parameters). A tensor registered twice (tied weights)
   * is listed once, under its first name (its `name` field holds the one it was attached under last).
   */
  namedParameters(): [string, Tensor][] {
    const seen = new Set<Tensor>();
    const out: [string, Tensor][] = [];
    for (const [name, t] of this.allParameters()) {
      if (seen.has(t)) continue;
      seen.add(t);
      out.push([name, t]);
    }
    return out;
  }

  parameters(): Tensor[] {
    return this.namedParameters().map(([, t]) => t);
  }

  /** This module (named '') and every descendant, depth first in registration order. */
  namedModules(): [string, Module][] {
    const out: [string, Module][] = [['', this]];
    for (const [name, child] of this.children) {
      for (const [sub, m] of child.namedModules()) out.push([joinPath(name, sub), m]);
    }
    return out;
  }

  train(on = true): this {
    for (const [, m] of this.namedModules()) m.training = on;
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /** Stops gradients for the parameters whose dotted name matches (all when no predicate is given). */
  freeze(predicate: (name: string) => boolean = () => true): this {
    return this.setRequiresGrad(predicate, false);
  }

  unfreeze(predicate: (name: string) => boolean = () => true): this {
    return this.setRequiresGrad(predicate, true);
  }

  /** Releases every parameter and gradient now (as Python's `del model`); the module is unusable afterwards. */
  dispose(): void {
    for (const p of this.parameters()) {
      p.grad?.dispose();
      p.grad = null;
      p.dispose();
    }
  }

  /** Number of parameter values (tied weights counted once), or only of those that require grad. */
  parameterCount(options: { trainableOnly?: boolean } = {}): number {
    let n = 0;
    for (const p of this.parameters()) if (p.requiresGrad || !options.trainableOnly) n += p.size;
    return n;
  }

  /** Every parameter under every name (tied weights under each of theirs), as the model's own tensors. */
  stateDict(): Map<string, Tensor> {
    return new Map(this.allParameters());
  }

  /**
   * Copies values from a state dict into this module's parameters. Checks everything first and
   * copies nothing if a shape differs or, with strict (the default), a key is missing or unexpected.
   */
  loadStateDict(state: ReadonlyMap<string, Tensor>, options: { strict?: boolean } = {}): LoadStateDictResult {
    const strict = options.strict ?? true;
    const own = this.stateDict();
    const missingKeys = [...own.keys()].filter((k) => !state.has(k));
    const unexpectedKeys = [...state.keys()].filter((k) => !own.has(k));
    const shapeMismatches: ShapeMismatch[] = [];
    for (const [key, target] of own) {
      const source = state.get(key);
      if (source?.dtype === 'int32') throw new NnError(`loadStateDict: '${key}' holds int32 values, but parameters are float32`);
      if (source && source.shape.join() !== target.shape.join()) {
        shapeMismatches.push({ key, expected: target.shape, got: source.shape });
      }
    }
    if (shapeMismatches.length > 0 || (strict && (missingKeys.length > 0 || unexpectedKeys.length > 0))) {
      throw new StateDictError(strict ? missingKeys : [], strict ? unexpectedKeys : [], shapeMismatches);
    }
    for (const [key, target] of own) {
      const source = state.get(key);
      if (source && source !== target) writeHost(target, source.data);
    }
    return { missingKeys, unexpectedKeys };
  }

  /** The dotted path of this module from the root it is attached to ('' for the root). */
  private path(): string {
    return this.parent ? joinPath(this.parent.path(), this.nameInParent) : '';
  }

  private allParameters(): [string, Tensor][] {
    const out: [string, Tensor][] = [...this.ownParameters];
    for (const [name, child] of this.children) {
      for (const [sub, t] of child.allParameters()) out.push([`${name}.${sub}`, t]);
    }
    return out;
  }

  private setRequiresGrad(predicate: (name: string) => boolean, on: boolean): this {
    for (const [name, p] of this.namedParameters()) if (predicate(name)) p.requiresGrad = on;
    return this;
  }

  private checkNewName(name: string): void {
    if (name === '' || name.includes('.')) throw new NnError(`Module: '${name}' is not a valid name; names are non-empty and contain no '.'`);
    if (this.ownParameters.has(name) || this.children.has(name)) throw new NnError(`Module: '${name}' is already registered`);
  }
}

const joinPath = (prefix: string, name: string): string => (prefix && name ? `${prefix}.${name}` : prefix || name);

/** An ordered list of modules named '0', '1', ... (transformers' `layers.0`, `layers.1`, ...). */
export class ModuleList<M extends Module = Module> extends Module implements Iterable<M> {
  private readonly items: M[] = [];

  constructor(modules: Iterable<M> = []) {
    super();
    for (const m of modules) this.push(m);
  }

  push(module: M): M {
    this.items.push(this.addModule(String(this.items.length), module));
    return module;
  }

  get(index: number): M {
    const m = this.items[index];
    if (!m) throw new NnError(`ModuleList: index ${index} is out of range (length ${this.items.length})`);
    return m;
  }

  get length(): number {
    return this.items.length;
  }

  [Symbol.iterator](): Iterator<M> {
    return this.items[Symbol.iterator]();
  }
}
