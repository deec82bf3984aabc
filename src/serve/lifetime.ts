/** A server's life on the command line: announced on stderr, stopped gracefully by SIGINT or SIGTERM. */
import type { RunningServer } from './http.js';

/** Resolves once a signal has stopped the server and the requests under way have been answered. */
export async function serveUntilSignal(server: RunningServer, announcement: string): Promise<void> {
  process.stderr.write(`${announcement}\n`);
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  process.stderr.write(`${signal}: finishing the requests under way, then stopping\n`);
  await server.close();
  process.stderr.write('stopped\n');
}
