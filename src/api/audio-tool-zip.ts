/**
 * A separation's stems as one zip, streamed: each stem file is read from the result store in
 * chunks and stored (audio does not deflate; STORE costs no CPU), so the zip is never in memory.
 */
import { open } from 'node:fs/promises';
import { Zip, ZipPassThrough } from 'fflate';

import type { HttpExchange } from '../http/exchange.js';
import type { StoredStem } from './audio-tool-run.js';

const READ_CHUNK_BYTES = 256 * 1024;

export async function sendStemZip(ex: HttpExchange, stems: readonly StoredStem[], headers: Record<string, string>): Promise<void> {
  const pending: Uint8Array[] = [];
  let finished = false;
  let failure: Error | null = null;
  const zip = new Zip((err, data, final) => {
    if (err) failure = err;
    else pending.push(data);
    if (final) finished = true;
  });
  ex.startStream(200, { ...headers, 'Content-Type': 'application/zip', 'Content-Disposition': 'attachment; filename="stems.zip"' });
  const drain = async (): Promise<void> => {
    while (pending.length > 0) await ex.write(pending.shift()!);
    if (failure) throw failure;
  };
  for (const stem of stems) {
    const entry = new ZipPassThrough(`${stem.name}.${stem.format}`);
    zip.add(entry);
    const fh = await open(stem.path, 'r');
    try {
      const buf = Buffer.allocUnsafe(READ_CHUNK_BYTES);
      for (;;) {
        if (ex.aborted) return;
        const { bytesRead } = await fh.read(buf, 0, buf.length, null);
        if (bytesRead === 0) break;
        entry.push(Uint8Array.from(buf.subarray(0, bytesRead)));
        await drain();
      }
      entry.push(new Uint8Array(0), true);
      await drain();
    } finally {
      await fh.close();
    }
  }
  zip.end();
  await drain();
  if (!finished) throw new Error('zip did not finish');
  ex.end();
}
