/**
 * A cheap HTTP/1.1 load generator for request-rate benchmarks: raw keep-alive sockets, each with
 * a fixed number of GET requests pipelined in flight, responses counted by their status lines.
 * Parsing nothing else keeps the generator's own cost per request far below the server's, so on a
 * shared 2-core machine the server under test, not the generator, is the bottleneck. The same
 * generator is pointed at every server compared, so whatever it costs is the same for each.
 */
import { connect, type Socket } from 'node:net';

export interface LoadOptions {
  host: string;
  port: number;
  path: string;
  connections: number;
  /** Requests each connection keeps in flight. */
  pipeline: number;
  durationMs: number;
}

export interface LoadResult {
  requests: number;
  /** Responses whose status line was not 200. */
  non200: number;
  perSecond: number;
}

const STATUS_LINE = Buffer.from('HTTP/1.1 ');
const OK = Buffer.from('200');

/** Runs `connections` sockets for `durationMs`, refilling each one's pipeline as responses arrive. */
export async function generateLoad(opts: LoadOptions): Promise<LoadResult> {
  const request = Buffer.from(`GET ${opts.path} HTTP/1.1\r\nHost: ${opts.host}:${opts.port}\r\nUser-Agent: llais-bench\r\nAccept: */*\r\n\r\n`);
  const batch = Buffer.concat(Array.from({ length: opts.pipeline }, () => request));
  let requests = 0;
  let non200 = 0;
  let running = true;
  const sockets: Socket[] = [];
  const started = performance.now();
  await Promise.all(
    Array.from({ length: opts.connections }, () =>
      new Promise<void>((resolve, reject) => {
        const socket = connect({ host: opts.host, port: opts.port, noDelay: true }, () => {
          socket.write(batch);
          resolve();
        });
        socket.once('error', reject);
        sockets.push(socket);
        // A status line may be split across reads: keep the last few bytes for the next scan.
        let carry: Buffer = Buffer.alloc(0);
        socket.on('data', (data: Buffer) => {
          const buf = carry.length > 0 ? Buffer.concat([carry, data]) : data;
          let seen = 0;
          let at = buf.indexOf(STATUS_LINE);
          let lastEnd = 0;
          while (at !== -1 && at + STATUS_LINE.length + 3 <= buf.length) {
            seen++;
            if (buf.compare(OK, 0, 3, at + STATUS_LINE.length, at + STATUS_LINE.length + 3) !== 0) non200++;
            lastEnd = at + STATUS_LINE.length + 3;
            at = buf.indexOf(STATUS_LINE, lastEnd);
          }
          carry = buf.subarray(Math.max(lastEnd, buf.length - (STATUS_LINE.length + 2)));
          requests += seen;
          if (running && seen > 0) socket.write(seen === opts.pipeline ? batch : Buffer.concat(Array.from({ length: seen }, () => request)));
        });
      }),
    ),
  );
  await new Promise((r) => setTimeout(r, opts.durationMs));
  running = false;
  const elapsed = performance.now() - started;
  const counted = requests;
  for (const s of sockets) s.destroy();
  return { requests: counted, non200, perSecond: (counted / elapsed) * 1000 };
}
