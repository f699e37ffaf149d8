/** Serves a file with Content-Length and single-range `Range` requests, streamed with back-pressure. */
import { open } from 'node:fs/promises';
import type { HttpExchange } from './exchange.js';

const READ_CHUNK_BYTES = 256 * 1024;

type Range = { start: number; end: number } | 'unsatisfiable' | null;

/** Parses `bytes=a-b`, `bytes=a-`, `bytes=-n`; multi-range requests get the whole file. */
export function parseRange(header: string | undefined, size: number): Range {
  if (!header) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return null;
  let start: number;
  let end: number;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) return 'unsatisfiable';
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start >= size || start > end) return 'unsatisfiable';
  return { start, end };
}

/** The bytes a ranged GET will send, once `answerRanged` has dealt with 416, HEAD and empty bodies. */
export interface RangedBody {
  status: 200 | 206;
  head: Record<string, string>;
  start: number;
  end: number;
  length: number;
}

/**
 * The part of a single-range response every source shares (a file here, an object store's result):
 * answers 416, HEAD (the length only) and an empty body itself and returns null; otherwise returns
 * what the caller streams.
 */
export function answerRanged(ex: HttpExchange, size: number, headers: Record<string, string>): RangedBody | null {
  const range = parseRange(ex.headers.range, size);
  const common = { ...headers, 'Accept-Ranges': 'bytes' };
  if (range === 'unsatisfiable') {
    ex.send(416, { ...common, 'Content-Range': `bytes */${size}` });
    return null;
  }
  const start = range ? range.start : 0;
  const end = range ? range.end : size - 1;
  const length = size === 0 ? 0 : end - start + 1;
  const status = range ? 206 : 200;
  const head = range ? { ...common, 'Content-Range': `bytes ${start}-${end}/${size}` } : common;
  // The length is all a HEAD needs: the source is neither opened nor read.
  if (ex.method === 'HEAD') {
    ex.sendHead(status, head, length);
    return null;
  }
  if (length === 0) {
    ex.send(status, head);
    return null;
  }
  return { status, head, start, end, length };
}

export async function sendFile(ex: HttpExchange, path: string, size: number, headers: Record<string, string>): Promise<void> {
  const body = answerRanged(ex, size, headers);
  if (body === null) return;
  const { status, head, start, end, length } = body;
  const fh = await open(path, 'r');
  try {
    // uWS writes Content-Length itself from tryEnd's total size.
    ex.startStream(status, head);
    const buf = Buffer.allocUnsafe(Math.min(READ_CHUNK_BYTES, length));
    let pos = start;
    while (pos <= end) {
      const want = Math.min(buf.length, end - pos + 1);
      const { bytesRead } = await fh.read(buf, 0, want, pos);
      if (bytesRead === 0) break;
      if (!(await ex.writeFixed(buf.subarray(0, bytesRead), length))) return;
      pos += bytesRead;
    }
  } finally {
    await fh.close();
  }
}
