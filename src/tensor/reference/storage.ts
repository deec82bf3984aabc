/**
 * The storage of the CPU backends: plain typed arrays in host memory. backend.ts keeps Storage and
 * IdStorage opaque so that no code outside a backend indexes a buffer; the reference kernels (and
 * the native ones, whose addon takes typed arrays) are written against these aliases instead, and
 * each CPU backend becomes a Backend in one place, through `opaqueStorage`.
 */
import type { Backend, IdStorage as OpaqueIds, Storage as OpaqueFloats } from '../backend.js';

export type Storage = Float32Array;
export type IdStorage = Int32Array;

/** A type of the Backend interface as a CPU backend sees it: its buffers are typed arrays. */
type OnHost<T> = T extends OpaqueFloats ? Storage
  : T extends OpaqueIds ? IdStorage
  : T extends readonly OpaqueFloats[] ? readonly Storage[]
  : T;
type OnHostKernel<F> = F extends (...args: infer A) => infer R ? (...args: { [K in keyof A]: OnHost<A[K]> }) => OnHost<R> : F;

/** The Backend interface with every buffer a typed array: what the CPU backends implement. */
export type HostArrayBackend = { [K in keyof Backend]: OnHostKernel<Backend[K]> };

/** A CPU backend as a Backend: at run time its buffers are the typed arrays; only the type changes. */
export const opaqueStorage = (backend: HostArrayBackend): Backend => backend as unknown as Backend;

/** IRLENS_POISON_UNINITIALIZED=1: uninitialised buffers hold NaN, so a kernel's unwritten element shows (read once). */
const POISON = process.env.IRLENS_POISON_UNINITIALIZED === '1';

/** A fresh buffer as allocateUninitialized hands it out: as it is, or NaN-filled when poisoning. */
export const poisoned = (storage: Storage): Storage => (POISON ? storage.fill(Number.NaN) : storage);
