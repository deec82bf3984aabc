/**
 * The HTML report of a run folder: `renderReport` reads the folder and draws the page,
 * `writeReport` also writes it (atomically) to a file. Nothing is computed that a stage did not
 * already write; the page only shows it.
 *
 *   const { path, sections, missing } = await writeReport('runs/demo', 'runs/demo/report.html');
 */
import { writeFileAtomic } from '../io/atomic.js';
import { renderPage, type RenderedPage } from './page.js';
import { readRun } from './read-run.js';

export { NotARunFolderError, ReportError, RunFileError } from './errors.js';
export { escapeHtml } from './html.js';
export { readRun } from './read-run.js';
export { SECTIONS, type RenderedPage } from './page.js';
export type { RunModel } from './run-model.js';

export const REPORT_FILE = 'report.html';

export async function renderReport(runDir: string): Promise<RenderedPage> {
  return renderPage(readRun(runDir));
}

export interface WrittenReport {
  path: string;
  bytes: number;
  sections: string[];
  missing: RenderedPage['missing'];
}

export async function writeReport(runDir: string, file: string): Promise<WrittenReport> {
  const page = await renderReport(runDir);
  writeFileAtomic(file, page.html);
  return { path: file, bytes: Buffer.byteLength(page.html), sections: page.sections, missing: page.missing };
}
