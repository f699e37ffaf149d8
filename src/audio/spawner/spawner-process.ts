/**
 * The ffmpeg spawner's own process: a small Node process (no app modules, small heap) that the
 * server forks once and asks to start ffmpeg/ffprobe, so that the server itself never forks on the
 * request path (fork+exec from a ~600 MB process stalls its event loop ~20 ms per child).
 *
 * It listens on the Unix socket path given as argv[2]. Each connection carries one job: a header
 * naming the program, then the server's bytes for the program's stdin; the program's stdout flows
 * back on the same connection. `pipe()` carries back-pressure both ways, so nothing here buffers
 * more than a stream's high-water mark. Exit status and stderr tail go back over IPC.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { createServer, type Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import {
  HEADER_LENGTH_BYTES,
  MAX_HEADER_BYTES,
  STDERR_TAIL_CHARS,
  type JobHeader,
  type SpawnerReply,
  type SpawnerRequest,
} from './spawner-messages.js';

type Child = ChildProcessByStdio<Writable, Readable, Readable>;

const socketPath = process.argv[2];
if (socketPath === undefined || process.send === undefined) {
  console.error('spawner-process: expected a socket path argument and an IPC channel');
  process.exit(2);
}

const children = new Map<number, Child>();
/** Jobs killed before their connection arrived: they are answered without starting anything. */
const killedEarly = new Set<number>();

function reply(message: SpawnerReply): void {
  process.send?.(message);
}

process.on('message', (message: SpawnerRequest) => {
  switch (message.type) {
    case 'kill': {
      const child = children.get(message.id);
      if (child === undefined) killedEarly.add(message.id);
      else if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      break;
    }
    default: {
      const unknown: never = message.type;
      console.error(`spawner-process: unknown request ${String(unknown)}`);
    }
  }
});

// The server is gone: nothing will read what the children write.
process.on('disconnect', () => {
  for (const child of children.values()) child.kill('SIGKILL');
  process.exit(0);
});

const server = createServer({ allowHalfOpen: true }, (socket) => {
  socket.on('error', () => {});
  readHeader(socket, (header) => start(header, socket));
});
server.listen(socketPath, () => reply({ type: 'ready' }));

/** Reads the length-prefixed header, leaving every byte after it in the socket for the program. */
function readHeader(socket: Socket, use: (header: JobHeader) => void): void {
  let length: number | undefined;
  const onReadable = (): void => {
    if (length === undefined) {
      const prefix = socket.read(HEADER_LENGTH_BYTES) as Buffer | null;
      if (prefix === null) return;
      length = prefix.readUInt32LE(0);
      if (prefix.length < HEADER_LENGTH_BYTES || length > MAX_HEADER_BYTES) return void socket.destroy();
    }
    const json = socket.read(length) as Buffer | null;
    if (json === null) return;
    socket.off('readable', onReadable);
    socket.off('end', onEnd);
    if (json.length < length) return void socket.destroy();
    use(JSON.parse(json.toString('utf8')) as JobHeader);
  };
  const onEnd = (): void => void socket.destroy();
  socket.on('readable', onReadable);
  socket.on('end', onEnd);
}

function start({ id, file, args }: JobHeader, socket: Socket): void {
  if (killedEarly.delete(id)) {
    socket.destroy();
    return reply({ type: 'exit', id, code: null, signal: 'SIGKILL', stderrTail: '' });
  }
  const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  children.set(id, child);
  let stderrTail = '';
  let spawnError: NodeJS.ErrnoException | undefined;
  child.on('error', (err) => {
    spawnError = err;
  });
  if (child.pid !== undefined) reply({ type: 'spawned', id, pid: child.pid });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (text: string) => {
    stderrTail = (stderrTail + text).slice(-STDERR_TAIL_CHARS);
  });
  // Once the program stops reading (it exited, or closed stdin), what the server still sends is
  // dropped, so the server's writes never stall on a reader that is gone.
  const discardInput = (): void => {
    socket.unpipe(child.stdin);
    socket.resume();
  };
  child.stdin.on('error', discardInput);
  child.stdin.on('close', discardInput);
  socket.pipe(child.stdin);
  child.stdout.pipe(socket);
  // The server hung up before the output ended (a reader that stopped early): pipe() unpipes and
  // leaves stdout paused with data in it, so it never reaches end-of-file, 'close' never fires and
  // the exit is never reported; the server then waits for it for ever. Drain the rest to nowhere.
  socket.on('close', () => {
    child.stdout.unpipe(socket);
    child.stdout.resume();
  });
  child.once('close', (code, signal) => {
    children.delete(id);
    if (spawnError === undefined) return reply({ type: 'exit', id, code, signal, stderrTail });
    reply({ type: 'exit', id, code: spawnError.errno ?? code, signal, stderrTail, spawnError: spawnError.message });
  });
}
