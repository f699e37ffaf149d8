/**
 * What the server and its ffmpeg spawner process say to each other. Control goes over the fork's
 * IPC channel as these tagged unions; each job's audio goes over its own Unix socket connection,
 * which opens with a `JobHeader` (length-prefixed JSON) so the spawner knows what to start.
 */

/** Server -> spawner, over IPC. */
export type SpawnerRequest = { type: 'kill'; id: number };

/** Spawner -> server, over IPC. */
export type SpawnerReply =
  | { type: 'ready' }
  | { type: 'spawned'; id: number; pid: number }
  | {
      type: 'exit';
      id: number;
      /** As `child_process` reports it; negative (an errno) when the program never started. */
      code: number | null;
      signal: NodeJS.Signals | null;
      stderrTail: string;
      /** Why the program could not start (ENOENT, EACCES, ...), when it could not. */
      spawnError?: string;
    };

/** The first bytes of a job's socket, after a 4-byte little-endian length. */
export interface JobHeader {
  id: number;
  file: string;
  args: string[];
}

/** Bytes of the length prefix in front of a `JobHeader`. */
export const HEADER_LENGTH_BYTES = 4;

/** A header longer than this is not ours: the connection is dropped. Argument lists are short. */
export const MAX_HEADER_BYTES = 64 * 1024;

/** Enough of stderr to show ffmpeg's actual complaint, which it prints last. */
export const STDERR_TAIL_CHARS = 2000;

/** Encodes a header as it goes on the wire. */
export function encodeHeader(header: JobHeader): Buffer {
  const json = Buffer.from(JSON.stringify(header));
  const prefix = Buffer.alloc(HEADER_LENGTH_BYTES);
  prefix.writeUInt32LE(json.length, 0);
  return Buffer.concat([prefix, json]);
}
