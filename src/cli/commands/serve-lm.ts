/**
 * `irlens serve-lm MODEL [--port N]`: serves a causal LM over OpenAI's completions API, so that
 * anything that speaks it (irlens's own `openai:URL#MODEL` models, lm-evaluation-harness, the
 * openai client) can sample a checkpoint irlens trained. Runs until SIGINT or SIGTERM, then
 * finishes the requests under way; a second signal exits at once.
 */
import type { Command } from 'commander';
import { EXIT_INTERRUPTED } from '../errors.js';
import { integer, modelFolder, withRevision, withServerOptions } from '../options.js';

interface ServeLmFlags {
  port: number;
  host: string;
  modelName?: string;
  maxQueue: number;
  maxBodyBytes: number;
  revision?: string;
}

export function registerServeLm(program: Command): void {
  const command = program
    .command('serve-lm')
    .argument('<model>', 'a causal-LM checkpoint folder or hub id')
    .description('Serve a causal LM over OpenAI’s completions API (POST /v1/completions, GET /v1/models, GET /health).')
    .option('--model-name <id>', 'the model id clients send (default: the folder’s name)')
    .option('--max-queue <n>', 'requests waiting for their turn before new ones get 503', integer(1), 64)
    .action((model: string, flags: ServeLmFlags) => serveLmCommand(model, flags));
  withServerOptions(command, { port: 8000, maxBodyBytes: 8 * 2 ** 20 });
  withRevision(command);
}

async function serveLmCommand(spec: string, flags: ServeLmFlags): Promise<void> {
  const folder = await modelFolder(spec, flags.revision);
  const { CompletionsServer } = await import('../../serve/completions-server.js');
  const { serveUntilSignal } = await import('../../serve/lifetime.js');
  const server = new CompletionsServer({ folder, modelName: flags.modelName, maxQueue: flags.maxQueue, maxBodyBytes: flags.maxBodyBytes });
  await serveUntilSignal(server, {
    name: 'irlens serve-lm', host: flags.host, port: flags.port, exitNow: EXIT_INTERRUPTED,
    describe: (url) => `${server.modelName} at ${url}/v1 (as a model: openai:${url}/v1#${server.modelName}; Ctrl-C stops)`,
  });
}
