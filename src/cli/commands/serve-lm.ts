/**
 * `irlens serve-lm MODEL [--port N]`: serves a causal LM over OpenAI's completions API, so that
 * anything that speaks it (irlens's own `openai:URL#MODEL` models, lm-evaluation-harness, the
 * openai client) can sample a checkpoint irlens trained. Runs until SIGINT or SIGTERM, then
 * finishes the requests under way.
 */
import type { Command } from 'commander';
import { integer, modelFolder, withRevision } from '../options.js';

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
    .option('--port <n>', 'port to listen on (0: any free port)', integer(0), 8000)
    .option('--host <address>', 'address to listen on (0.0.0.0: every interface)', '127.0.0.1')
    .option('--model-name <id>', 'the model id clients send (default: the folder’s name)')
    .option('--max-queue <n>', 'requests waiting for their turn before new ones get 503', integer(1), 64)
    .option('--max-body-bytes <n>', 'largest request body accepted (413 beyond)', integer(1), 8 * 1024 * 1024)
    .action((model: string, flags: ServeLmFlags) => serveLmCommand(model, flags));
  withRevision(command);
}

async function serveLmCommand(spec: string, flags: ServeLmFlags): Promise<void> {
  const folder = await modelFolder(spec, flags.revision);
  const { startCompletionsServer } = await import('../../serve/completions-server.js');
  const { serveUntilSignal } = await import('../../serve/lifetime.js');
  const server = await startCompletionsServer({ folder, modelName: flags.modelName, host: flags.host, port: flags.port, maxQueue: flags.maxQueue, maxBodyBytes: flags.maxBodyBytes });
  await serveUntilSignal(server, `serving ${server.modelName} at ${server.url}/v1 (openai:${server.url}/v1#${server.modelName})`);
}
