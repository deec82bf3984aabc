/**
 * The built-in presets: `demo` (offline), `demo-tiny`, `pythia-70m` and `pythia-410m` (the
 * paper's settings). registerBuiltinPresets() adds them to a registry (default: the global one)
 * and may be called any number of times.
 */
import { presets as globalPresets, type Preset, type PresetRegistry } from '../presets.js';
import { demoPreset, demoTinyPreset } from './demo.js';
import { pythia410mPreset, pythia70mPreset } from './pythia.js';

export { demoPreset, demoTinyPreset, pythia70mPreset, pythia410mPreset };

export const BUILTIN_PRESETS: readonly Preset[] = [demoPreset, demoTinyPreset, pythia70mPreset, pythia410mPreset];

export function registerBuiltinPresets(registry: PresetRegistry = globalPresets): PresetRegistry {
  for (const preset of BUILTIN_PRESETS) if (registry.get(preset.name) === undefined) registry.register(preset);
  return registry;
}

registerBuiltinPresets();
