/**
 * Presets: named partial configs ('demo', 'pythia-70m', 'pythia-410m', ...), registered by the code
 * that defines them. A preset may extend another; resolving applies the base first. The user's
 * config file and --set overrides are applied on top (see resolveConfig in config.ts).
 */
import { closestMatch } from './closest.js';
import { ConfigValidationError, PipelineError } from './errors.js';

export interface Preset {
  name: string;
  /** One line for `irlens presets` and error messages. */
  description: string;
  /** A preset this one starts from. */
  extends?: string;
  /** A partial config: top-level keys and stage sections, in the same shape as config.yaml. */
  config: Record<string, unknown>;
}

export class PresetRegistry {
  private readonly presets = new Map<string, Preset>();

  register(preset: Preset): void {
    if (this.presets.has(preset.name)) throw new PipelineError(`a preset named '${preset.name}' is already registered`);
    this.presets.set(preset.name, preset);
  }

  get(name: string): Preset | undefined {
    return this.presets.get(name);
  }

  names(): string[] {
    return [...this.presets.keys()];
  }

  list(): Preset[] {
    return [...this.presets.values()];
  }

  /** The preset and the presets it extends, base first. */
  chain(name: string): Preset[] {
    const chain: Preset[] = [];
    const seen = new Set<string>();
    let current: string | undefined = name;
    while (current !== undefined) {
      if (seen.has(current)) throw new PipelineError(`preset '${name}': its 'extends' chain loops through '${current}'`);
      seen.add(current);
      const preset = this.presets.get(current);
      if (preset === undefined) {
        const suggestion = closestMatch(current, this.presets.keys());
        const known = this.names();
        const hint =
          suggestion !== undefined
            ? `did you mean '${suggestion}'?`
            : known.length > 0
              ? `the presets are ${known.map((n) => `'${n}'`).join(', ')}`
              : 'no presets are registered';
        const via = current === name ? '' : ` (extended by a preset in the chain of '${name}')`;
        throw new ConfigValidationError([
          { kind: 'unknown-preset', path: 'preset', suggestion, message: `unknown preset '${current}'${via}; ${hint}` },
        ]);
      }
      chain.unshift(preset);
      current = preset.extends;
    }
    return chain;
  }
}

/** The registry the command line uses; the code that defines a preset registers it here. */
export const presets = new PresetRegistry();

export const registerPreset = (preset: Preset): void => presets.register(preset);
