/**
 * `irlens doctor [--json]`: what irlens runs on this machine — the platform, the backend in use
 * (and, on the reference backend, why the native kernels are not there), which kernel paths the
 * native addon dispatched to, and its thread count. The first thing to run when irlens is slow.
 */
import { arch, cpus, platform } from 'node:os';
import type { Command } from 'commander';
import { emit, withJson } from '../options.js';

interface DoctorReport {
  platform: { os: string; arch: string; node: string; cpu: string; cores: number };
  backend: 'native' | 'reference';
  /** Why the native backend is not in use; absent when it is. */
  nativeUnavailable?: string;
  addonPath: string;
  kernels?: { gemm: string; vectorLoops: string; threads: number; deterministic: boolean };
}

export function registerDoctor(program: Command): void {
  const command = program
    .command('doctor')
    .description('Report the platform, the tensor backend in use, the native kernel paths (AVX-512, AVX2, NEON, Accelerate) and threads.')
    .action((flags: { json?: boolean }) => doctorCommand(flags));
  withJson(command);
}

async function doctorCommand(flags: { json?: boolean }): Promise<void> {
  const report = await diagnose();
  emit(flags.json, report, () => describe(report));
}

async function diagnose(): Promise<DoctorReport> {
  const { loadNativeAddon, nativeAddonPath } = await import('../../tensor/native/load.js');
  const { nativeKernelPaths } = await import('../../tensor/native/kernel-paths.js');
  const cpu = cpus();
  const report: DoctorReport = {
    platform: { os: platform(), arch: arch(), node: process.version, cpu: cpu[0]?.model.trim() ?? 'unknown', cores: cpu.length },
    backend: 'reference',
    addonPath: nativeAddonPath(),
  };
  const { addon, reason } = loadNativeAddon();
  if (process.env.IRLENS_BACKEND === 'reference') report.nativeUnavailable = 'IRLENS_BACKEND=reference';
  else if (addon === null) {
    const required = process.env.IRLENS_BACKEND === 'native';
    report.nativeUnavailable = required ? `${reason}; with IRLENS_BACKEND=native every other command stops with an error` : reason;
  } else {
    report.backend = 'native';
  }
  if (addon !== null) report.kernels = nativeKernelPaths(addon);
  return report;
}

function describe(r: DoctorReport): string[] {
  const lines = [
    `platform      ${r.platform.os} ${r.platform.arch}, Node ${r.platform.node}, ${r.platform.cores} × ${r.platform.cpu}`,
    r.nativeUnavailable === undefined
      ? `backend       native (${r.addonPath})`
      : `backend       reference, 10–100x slower than the native kernels: ${r.nativeUnavailable}`,
  ];
  if (r.kernels) {
    const k = r.kernels;
    lines.push(
      `gemm          ${k.gemm}${k.gemm === 'accelerate' ? ' (IRLENS_SIMD=neon for the deterministic NEON kernel)' : ''}`,
      `vector loops  ${k.vectorLoops} (element-wise, norms, softmax, attention, losses, AdamW)`,
      `threads       ${k.threads} (IRLENS_THREADS sets them)`,
      `deterministic ${k.deterministic ? 'yes: results are bit-identical for any thread count' : 'no: Accelerate may round differently with other thread counts'}`,
    );
  }
  if (r.nativeUnavailable !== undefined && r.nativeUnavailable !== 'IRLENS_BACKEND=reference') {
    lines.push('fix           install a C++ compiler, make and python3, then run `npm rebuild` in the irlens folder');
  }
  return lines;
}
