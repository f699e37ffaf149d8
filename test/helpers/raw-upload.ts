/**
 * A multipart upload over a raw socket, sent under the test's control: so that a test can see
 * how much of the body had been sent when the response came, hold an upload half-sent, or drop
 * the connection mid-file. The file's bytes come from one reused buffer, so the client holds
 * almost nothing in memory however large the upload (its memory counts in an in-process RSS).
 */
import { connect, type Socket } from 'node:net';
import { watch } from 'node:fs';
import { mkdir, readdir } from 'node:fs/promises';

export interface RawUploadOptions {
  path: string;
  /** Text fields sent before the file part. */
  before?: Array<[string, string]>;
  /** Text fields sent after it. */
  after?: Array<[string, string]>;
  fileField?: string;
  filename?: string;
  fileBytes: number;
  /** `length`: a Content-Length header (default); `chunked`: no length announced. */
  framing?: 'length' | 'chunked';
}

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const BOUNDARY = 'llaisrawuploadboundary';
/** Not audio in any container: 415 when probed. */
const FILLER = Buffer.alloc(64 * 1024, 'A');

export class RawUpload {
  readonly total: number;
  /** Body bytes handed to the socket so far. */
  sent = 0;
  /** `sent` when the first byte of the response arrived; null until then. */
  sentAtResponse: number | null = null;
  readonly response: Promise<RawResponse>;
  private readonly socket: Socket;
  private readonly head: Buffer;
  private readonly tail: Buffer;
  private fileSent = 0;
  private connected: Promise<void>;

  constructor(port: number, private readonly opts: RawUploadOptions) {
    const part = (name: string, value: string): string => `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
    this.head = Buffer.from(
      (opts.before ?? []).map(([k, v]) => part(k, v)).join('') +
        `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${opts.fileField ?? 'file'}"; filename="${opts.filename ?? 'upload.bin'}"\r\nContent-Type: application/octet-stream\r\n\r\n`,
    );
    this.tail = Buffer.from(`\r\n${(opts.after ?? []).map(([k, v]) => part(k, v)).join('')}--${BOUNDARY}--\r\n`);
    this.total = this.head.length + opts.fileBytes + this.tail.length;
    this.socket = connect(port, '127.0.0.1');
    this.connected = new Promise((resolve, reject) => {
      this.socket.once('connect', resolve);
      this.socket.once('error', reject);
    });
    this.response = new Promise<RawResponse>((resolve, reject) => {
      let data = Buffer.alloc(0);
      this.socket.on('data', (d: Buffer) => {
        this.sentAtResponse ??= this.sent;
        data = Buffer.concat([data, d]);
        const end = data.indexOf('\r\n\r\n');
        if (end < 0) return;
        const lines = data.subarray(0, end).toString().split('\r\n');
        const headers: Record<string, string> = {};
        for (const line of lines.slice(1)) {
          const i = line.indexOf(':');
          headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
        }
        const length = Number(headers['content-length'] ?? 0);
        if (data.length < end + 4 + length) return;
        resolve({ status: Number(lines[0]!.split(' ')[1]), headers, body: data.subarray(end + 4, end + 4 + length).toString() });
        this.socket.destroy();
      });
      this.socket.on('error', () => {});
      this.socket.on('close', () => reject(new Error(`connection closed before a response (sent ${this.sent} of ${this.total})`)));
    });
    this.response.catch(() => {});
  }

  /** Sends the request head, then body bytes until `untilBytes` of the body are out, a response arrives, or it is all sent. */
  async send(untilBytes = Number.POSITIVE_INFINITY): Promise<void> {
    await this.connected;
    if (this.sent === 0) {
      const framing = this.opts.framing === 'chunked' ? 'Transfer-Encoding: chunked' : `Content-Length: ${this.total}`;
      this.socket.write(`POST ${this.opts.path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; boundary=${BOUNDARY}\r\n${framing}\r\n\r\n`);
      await this.write(this.head);
    }
    while (this.fileSent < this.opts.fileBytes && this.sent < untilBytes && this.sentAtResponse === null && !this.socket.destroyed) {
      const n = Math.min(FILLER.length, this.opts.fileBytes - this.fileSent, untilBytes - this.sent);
      this.fileSent += n;
      await this.write(FILLER.subarray(0, n));
    }
    if (this.fileSent === this.opts.fileBytes && this.sent < this.total && this.sentAtResponse === null && !this.socket.destroyed) {
      await this.write(this.tail);
      if (this.opts.framing === 'chunked') this.socket.write('0\r\n\r\n');
    }
  }

  /** Drops the connection (a client that gives up mid-upload). */
  destroy(): void {
    this.socket.destroy();
  }

  private async write(bytes: Buffer): Promise<void> {
    this.sent += bytes.length;
    const ok = this.opts.framing === 'chunked' ? this.socket.write(Buffer.concat([Buffer.from(`${bytes.length.toString(16)}\r\n`), bytes, Buffer.from('\r\n')])) : this.socket.write(bytes);
    if (ok || this.socket.destroyed) return;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        this.socket.off('drain', done);
        this.socket.off('close', done);
        this.socket.off('data', done);
        resolve();
      };
      this.socket.on('drain', done);
      this.socket.on('close', done);
      // A response while we wait for room means the server has stopped reading for us.
      this.socket.on('data', done);
    });
  }
}

/**
 * Resolves with the number of entries in `dir` once `predicate(count)` holds, re-reading it on
 * every change the directory reports; after `timeoutMs` with the latest count, so that the test's
 * assertion (not a hang) reports a predicate that never held.
 */
export async function waitForFiles(dir: string, predicate: (count: number) => boolean, timeoutMs = 10_000): Promise<number> {
  await mkdir(dir, { recursive: true });
  const count = async (): Promise<number> => (await readdir(dir)).length;
  const watcher = watch(dir);
  let timer: NodeJS.Timeout | undefined;
  try {
    const first = await count();
    if (predicate(first)) return first;
    return await new Promise<number>((resolve, reject) => {
      timer = setTimeout(() => count().then(resolve, reject), timeoutMs);
      watcher.on('change', () => {
        count().then((n) => predicate(n) && resolve(n), reject);
      });
    });
  } finally {
    clearTimeout(timer);
    watcher.close();
  }
}
