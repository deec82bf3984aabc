/**
 * The worker thread behind parquet-decode.ts: decodes the row groups it is asked for with
 * hyparquet and sends the rows back. It runs apart so that a decode that never ends can be stopped.
 */
import { parentPort } from 'node:worker_threads';
import { asyncBufferFromFile, parquetReadObjects, type FileMetaData } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';

export interface DecodeRequest {
  id: number;
  file: string;
  /** The footer, already read and checked by the main thread. */
  metadata: FileMetaData;
  rowStart: number;
  rowEnd: number;
}

export type DecodeReply = { id: number; rows: Record<string, unknown>[] } | { id: number; error: string };

const port = parentPort!;

async function decode({ id, file, metadata, rowStart, rowEnd }: DecodeRequest): Promise<DecodeReply> {
  try {
    const rows = await parquetReadObjects({ file: await asyncBufferFromFile(file), metadata, rowStart, rowEnd, compressors });
    return { id, rows };
  } catch (error) {
    return { id, error: error instanceof Error ? error.message : String(error) };
  }
}

port.on('message', (request: DecodeRequest) => {
  void decode(request).then((reply) => {
    try {
      port.postMessage(reply);
    } catch (error) {
      port.postMessage({ id: request.id, error: `the rows cannot be sent to the main thread (${(error as Error).message})` });
    }
  });
});
port.postMessage('ready');
