/**
 * A result file held in an object store, served through the node like one on disk: Content-Length,
 * single-range `Range` (206/416), HEAD, streamed with back-pressure. Only the asked-for bytes are
 * read from the store, and a client that leaves stops the read (its signal aborts the request).
 */
import type { RemoteResult } from '../jobs/result-store.js';
import type { HttpExchange } from '../http/exchange.js';
import { answerRanged } from '../http/static-file.js';

export async function sendRemote(ex: HttpExchange, remote: RemoteResult, headers: Record<string, string>): Promise<void> {
  const ranged = answerRanged(ex, remote.sizeBytes, headers);
  if (ranged === null) return;
  const { status, head, start, end, length } = ranged;
  // Opened before the status goes out, so a store that fails now is still an error response.
  const body = await remote.read(start, end, ex.signal);
  ex.startStream(status, head);
  for await (const chunk of body) {
    if (!(await ex.writeFixed(chunk, length))) return;
  }
}
