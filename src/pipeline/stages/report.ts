/**
 * Stage `report`: the run as one self-contained HTML page (src/report), written into the stage's
 * folder and copied to <run>/report.html, with a summary.json saying which sections it holds and
 * which are "not run". It depends on every stage whose outputs it shows, so a change in any of
 * them redraws it; one the pipeline does not have (reuse, until it is built) is left out.
 */
import { join } from 'node:path';
import { writeFileAtomic } from '../../io/atomic.js';
import { REPORT_FILE, renderReport } from '../../report/index.js';
import type { Stage } from '../stage.js';

export const SUMMARY_FILE = 'summary.json';

/** The stages whose outputs the page shows (the others appear only in its provenance table). */
export const REPORTED_STAGES = ['ground-truth', 'rlhf', 'demonstrations', 'irl', 'evaluate', 'reuse'] as const;

/** The report stage of a pipeline made of the stages named `pipeline`. */
export function reportStage(pipeline: readonly string[]): Stage {
  return {
    name: 'report',
    configKey: 'report',
    dependsOn: REPORTED_STAGES.filter((name) => pipeline.includes(name)),
    version: '1',
    description: 'one self-contained HTML page with the plots and tables of the run',
    async run(ctx) {
      const page = await renderReport(ctx.runDir);
      writeFileAtomic(join(ctx.dir, REPORT_FILE), page.html);
      writeFileAtomic(join(ctx.runDir, REPORT_FILE), page.html);
      const summary = { path: REPORT_FILE, bytes: Buffer.byteLength(page.html), sections: page.sections, missing: page.missing };
      writeFileAtomic(join(ctx.dir, SUMMARY_FILE), `${JSON.stringify(summary, null, 2)}\n`);
      const notRun = page.missing.map((m) => m.section);
      ctx.log.info(`wrote ${join(ctx.runDir, REPORT_FILE)} (${(summary.bytes / 1024).toFixed(0)} KiB): ${page.sections.length} sections${notRun.length > 0 ? `; not run: ${notRun.join(', ')}` : ''}`);
      return { bytes: summary.bytes, sections: page.sections.length, notRun };
    },
  };
}
