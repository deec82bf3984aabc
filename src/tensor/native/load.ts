import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Backend } from '../backend.js';
import { createNativeBackend, type NativeAddon } from './backend.js';

/** Finds the package root (the folder with package.json) above this file, in src/ or dist/. */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('irlens: cannot find package.json above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
  return dir;
}

/** The addon built by `npm ci`, or another build named by IRLENS_NATIVE_ADDON. */
export function nativeAddonPath(): string {
  return process.env.IRLENS_NATIVE_ADDON ?? join(packageRoot(), 'build', 'Release', 'irlens_native.node');
}

/** The addon's exports, or null and why it could not be loaded. */
export function loadNativeAddon(): { addon: NativeAddon | null; reason: string } {
  const path = nativeAddonPath();
  if (!existsSync(path)) return { addon: null, reason: `${path} does not exist` };
  try {
    return { addon: createRequire(import.meta.url)(path) as NativeAddon, reason: '' };
  } catch (e) {
    return { addon: null, reason: `loading ${path} failed: ${(e as Error).message}` };
  }
}

export function loadNativeBackend(): { backend: Backend | null; reason: string } {
  const { addon, reason } = loadNativeAddon();
  return { backend: addon ? createNativeBackend(addon) : null, reason };
}
