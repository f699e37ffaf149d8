/**
 * A result file held in an object store, served through the node like one on disk: Content-Length,
 * single-range `Range` (206/416), HEAD, streamed with back-pressure. Only the asked-for bytes are
 * read from the store, and a client that leaves stops the read (its signal aborts the request).
 */
import type { RemoteResult } from '../jobs/result-store.js';
import type { HttpExchange } from '../http/exchange.js';
import { parseRange } from '../http/static-file.js';

export async function sendRemote(ex: HttpExchange, remote: RemoteResult, headers: Record<string, string>): Promise<void> {
  const size = remote.sizeBytes;
  const range = parseRange(ex.headers.range, size);
  const common = { ...headers, 'Accept-Ranges': 'bytes' };
  if (range === 'unsatisfiable') {
    ex.send(416, { ...common, 'Content-Range': `bytes */${size}` });
    return;
  }
  const start = range ? range.start : 0;
  const end = range ? range.end : size - 1;
  const length = size === 0 ? 0 : end - start + 1;
  const status = range ? 206 : 200;
  const head = range ? { ...common, 'Content-Range': `bytes ${start}-${end}/${size}` } : common;
  if (ex.method === 'HEAD') return ex.sendHead(status, head, length);
  if (length === 0) return ex.send(status, head);
  // Opened before the status goes out, so a store that fails now is still an error response.
  const body = await remote.read(start, end, ex.signal);
  ex.startStream(status, head);
  for await (const chunk of body) {
    if (!(await ex.writeFixed(chunk, length))) return;
  }
}
