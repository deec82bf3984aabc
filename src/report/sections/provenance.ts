/**
 * Where the figures come from: the resolved config, the seeds, every stage's fingerprint, code
 * version and input hashes (stage.json), and the irlens that drew this page.
 */
import { irlensVersion } from '../../data/version.js';
import { formatDuration } from '../format.js';
import { html } from '../html.js';
import type { RunModel } from '../run-model.js';
import { defineSection, table } from '../section.js';

const short = (hash: string) => hash.slice(0, 12);

function seedsLine(run: RunModel) {
  const config = run.config?.values ?? {};
  const setting = (section: string) => (config[section] as { seeds?: unknown } | undefined)?.seeds;
  const list = (seeds: Iterable<number | null>) => [...new Set(seeds)].filter((s): s is number => s !== null).sort((a, b) => a - b).join(', ');
  const ppo = run.rlhf ? list(run.rlhf.curves.map((p) => p.seed)) : '';
  const irl = run.evaluation ? list(run.evaluation.perSeed.map((line) => line.seed)) : '';
  return [
    ['run seed (every stage’s generator is forked from it)', String(config.seed ?? run.stages[0]?.seed ?? '—')],
    ['PPO seeds (rlhf.seeds)', `${String(setting('rlhf') ?? '—')}${ppo ? ` — ${ppo}` : ''}`],
    ['IRL seeds per variant (irl.seeds)', `${String(setting('irl') ?? '—')}${irl ? ` — ${irl}` : ''}`],
  ];
}

function stagesTable(run: RunModel) {
  return table(
    ['stage', 'finished', 'took', 'irlens', 'fingerprint', 'inputs (content hash)'],
    run.stages.map((stage) => [
      stage.name,
      stage.finishedAt.replace('T', ' ').replace(/\.\d+Z$/, ' UTC'),
      formatDuration(stage.durationMs),
      stage.codeVersion || '—',
      html`<code>${short(stage.fingerprint)}</code>`,
      Object.keys(stage.inputs).length === 0
        ? '—'
        : html`<ul class="inputs">${Object.entries(stage.inputs).map(([path, hash]) => html`<li><code>${path}</code> <code class="muted">${short(hash)}</code></li>`)}</ul>`,
    ]),
    [2],
  );
}

export const provenanceSection = defineSection('provenance', 'The run: config and provenance', [], (run) => {
  const preset = run.config?.values.preset;
  return html`
    ${table(null, [
      ['run folder', html`<code>${run.dir}</code>`],
      ['preset', typeof preset === 'string' ? preset : '—'],
      ...seedsLine(run),
      ['irlens that drew this page', irlensVersion()],
    ])}
    <h3>Stages (stage.json)</h3>
    ${run.stages.length > 0 ? stagesTable(run) : html`<p class="not-run">No stage has completed.</p>`}
    <h3>config.yaml</h3>
    ${run.config ? html`<pre class="config">${run.config.text}</pre>` : html`<p class="not-run">The run folder has no config.yaml.</p>`}`;
});
