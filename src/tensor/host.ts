/**
 * The one door between tensor storage and host code. A device backend (WebGPU, CUDA) keeps its
 * buffers off the host, so reading them costs a transfer and a synchronisation: models, trainers
 * and rewards read tensor values only at step boundaries (logging, decisions, saving), through
 * readHost and readHostIds (which `data`, `ids`, `item()` and `toArray()` use), never inside the
 * per-layer and per-token work that `onDevice` marks.
 *
 * IRLENS_STRICT=1 turns that rule into a check: a host read inside an `onDevice` region throws,
 * and the backend counts its live buffers (see registry.ts) so tests can prove nothing leaks.
 */
import type { Backend, IdStorage, Storage } from './backend.js';

export const strictMode = process.env.IRLENS_STRICT === '1';

/** Names of the onDevice regions now running, innermost last (kept only in strict mode). */
const regions: string[] = [];
let hostReads = 0;
let hostReadElements = 0;

/** A host read or write inside an onDevice region under IRLENS_STRICT=1: a bug in irlens, not misuse. */
export class HostReadError extends Error {
  override name = 'HostReadError';
}

/**
 * Runs fn as per-layer or per-token work, where tensor values stay on the device: under
 * IRLENS_STRICT=1 any host read or write inside it throws HostReadError.
 */
export function onDevice<T>(region: string, fn: () => T): T {
  if (!strictMode) return fn();
  regions.push(region);
  try {
    return fn();
  } finally {
    regions.pop();
  }
}

/** What host reads and writes need of a tensor. */
interface HostAccessible {
  readonly backend: Backend;
  describe(): string;
}

/**
 * A float32 tensor's storage on the host (zero-copy on the CPU backends): the one place values
 * leave the backend.
 */
export function readHost(storage: Storage, tensor: HostAccessible): Float32Array {
  countHostRead(tensor, storage.length);
  return tensor.backend.toHost(storage);
}

/** An int32 tensor's storage on the host, like readHost. */
export function readHostIds(storage: IdStorage, tensor: HostAccessible): Int32Array {
  countHostRead(tensor, storage.length);
  return tensor.backend.idsToHost(storage);
}

function countHostRead(tensor: HostAccessible, elements: number): void {
  if (!strictMode) return;
  refuseInDeviceRegion(tensor, 'read');
  hostReads++;
  hostReadElements += elements;
}

/**
 * Writes host values into a float32 tensor's storage from element `offset` on: initialisation
 * and loading (on a device backend, an upload; `data` is then only a copy, so writing through it
 * would be lost). Refused inside onDevice regions under strict mode, like a read.
 */
export function writeHost(tensor: HostAccessible & { readonly buffer: Storage }, values: Float32Array, offset = 0): void {
  refuseInDeviceRegion(tensor, 'written');
  tensor.backend.writeFromHost(tensor.buffer, values, offset);
}

function refuseInDeviceRegion(tensor: { describe(): string }, verb: string): void {
  const region = regions[regions.length - 1];
  if (region !== undefined) {
    throw new HostReadError(`${tensor.describe()} was ${verb} on the host inside ${region}, where values must stay on the device (IRLENS_STRICT=1); move it to the step boundary`);
  }
}

/** Host reads made so far (counted under IRLENS_STRICT=1 only). */
export const hostReadCount = (): number => hostReads;
/** Values those reads carried (counted under IRLENS_STRICT=1 only): what a device would transfer. */
export const hostReadElementCount = (): number => hostReadElements;
