/**
 * The worker thread behind parquet-decode.ts: reads a Parquet file's footer, or decodes rows, with
 * hyparquet and sends the result back. It runs apart so that a read that never ends can be stopped.
 */
import { parentPort } from 'node:worker_threads';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects, parquetSchema, type FileMetaData } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';

/** What the footer says: the row groups and the top-level column names. */
export interface ParquetFooter {
  metadata: FileMetaData;
  columns: string[];
}

/** A file's footer, or some of its rows given the footer. */
export type DecodeJob = { file: string } & ({ kind: 'footer' } | { kind: 'rows'; metadata: FileMetaData; rowStart: number; rowEnd: number });

export type DecodeRequest = DecodeJob & { id: number };

export type DecodeReply = { id: number; value: ParquetFooter | Record<string, unknown>[] } | { id: number; error: string };

const port = parentPort!;

async function answer(request: DecodeRequest): Promise<ParquetFooter | Record<string, unknown>[]> {
  const file = await asyncBufferFromFile(request.file);
  if (request.kind === 'rows') {
    const { metadata, rowStart, rowEnd } = request;
    return parquetReadObjects({ file, metadata, rowStart, rowEnd, compressors });
  }
  const metadata = await parquetMetadataAsync(file);
  return { metadata, columns: parquetSchema(metadata).children.map((child) => child.element.name) };
}

port.on('message', (request: DecodeRequest) => {
  void answer(request).then(
    (value) => send({ id: request.id, value }),
    (error: unknown) => send({ id: request.id, error: error instanceof Error ? error.message : String(error) }),
  );
  function send(reply: DecodeReply): void {
    try {
      port.postMessage(reply);
    } catch (error) {
      port.postMessage({ id: request.id, error: `the result cannot be sent to the main thread (${(error as Error).message})` });
    }
  }
});
port.postMessage('ready');
