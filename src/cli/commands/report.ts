/**
 * `irlens report RUN_DIR [--out FILE]`: draws a run folder's report page again from the files its
 * stages wrote (nothing is run or recomputed), by default into RUN_DIR/report.html. Sections whose
 * stages have not completed say "not run".
 */
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { emit, withJson } from '../options.js';

interface ReportFlags {
  out?: string;
  json?: boolean;
}

export function registerReport(program: Command): void {
  const command = program
    .command('report')
    .argument('<run-dir>', 'a run folder written by irlens run (runs/<name>)')
    .description('Draw the HTML report of a run folder from its stages’ outputs, without running anything.')
    .option('-o, --out <file>', 'where to write the page (default: RUN_DIR/report.html)')
    .action((runDir: string, flags: ReportFlags) => reportCommand(runDir, flags));
  withJson(command);
}

async function reportCommand(runDir: string, flags: ReportFlags): Promise<void> {
  const { REPORT_FILE, writeReport } = await import('../../report/index.js');
  const started = Date.now();
  const written = await writeReport(runDir, resolve(flags.out ?? join(runDir, REPORT_FILE)));
  const seconds = (Date.now() - started) / 1000;
  emit(flags.json, written, () => [
    `wrote ${written.path} (${(written.bytes / 1024).toFixed(0)} KiB) in ${seconds.toFixed(1)} s: ${written.sections.join(', ')}`,
    ...(written.missing.length > 0 ? [`not run: ${written.missing.map((m) => `${m.section} (needs ${m.stages.join(', ')})`).join('; ')}`] : []),
  ]);
}
