/**
 * A server's life on the command line: it listens (a port that cannot be taken is a user error),
 * says where on stderr, and runs until SIGINT or SIGTERM, which stop it gracefully (requests in
 * flight answered, new ones refused); a second signal exits at once.
 */
import { UserError } from '../errors.js';
import type { JsonServer } from './json-server.js';

/** The port or address could not be listened on. */
export class ListenError extends UserError {
  override name = 'ListenError';
}

/** Listens on host:port, announces `describe(url)`, and resolves once a signal has stopped the server. */
export async function serveUntilSignal(server: JsonServer, options: { name: string; host: string; port: number; exitNow: number; describe(url: string): string }): Promise<void> {
  const { name, host, port } = options;
  let address;
  try {
    address = await server.listen(port, host);
  } catch (error) {
    throw new ListenError(`cannot listen on ${host}:${port} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); choose another --port or --host`);
  }
  const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  process.stderr.write(`${name}: ${options.describe(url)}\n`);
  await new Promise<void>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      if (server.stopping) {
        process.stderr.write(`${name}: ${signal} again; exiting now\n`);
        process.exit(options.exitNow);
      }
      process.stderr.write(`${name}: ${signal}: answering the requests in flight, taking no new ones (again to exit at once)\n`);
      void server.close().then(() => {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        resolve();
      });
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  process.stderr.write(`${name}: stopped\n`);
}
