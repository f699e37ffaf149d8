/**
 * Where finished audio lives. Disk under the data directory is the embedded implementation;
 * s3-result-store.ts puts results in an S3-compatible bucket for a cluster.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface ResultFile {
  path: string;
  sizeBytes: number;
}

/** A result held elsewhere (an object store), read by byte range and streamed through the node. */
export interface RemoteResult {
  sizeBytes: number;
  /** Bytes `start` to `end`, both included. */
  read(start: number, end: number, signal?: AbortSignal): Promise<AsyncIterable<Uint8Array>>;
}

export interface ResultStore {
  /** Stores whose files are not on local disk serve downloads through this instead of a path. */
  openRemote?(uuid: string, ext: string): Promise<RemoteResult | undefined>;
  /** Opens a temporary file for a result; `commit()` makes it visible atomically. */
  create(uuid: string, ext: string): Promise<ResultWriter>;
  find(uuid: string, ext: string): Promise<ResultFile | undefined>;
  remove(uuid: string): Promise<void>;
  /**
   * Small files that belong to a result (its word timings, its subtitles), kept beside it and
   * removed with it. `name` is a plain file name such as `words.json`.
   */
  writeExtra(uuid: string, name: string, data: string): Promise<void>;
  /** An extra file's contents, or undefined when it is not there. */
  readExtra(uuid: string, name: string): Promise<string | undefined>;
}

const EXTRA_NAME = /^[a-z0-9-]+\.[a-z0-9]+$/;

export interface ResultWriter {
  write(chunk: Uint8Array): Promise<void>;
  /** Overwrites bytes at `position` (used to patch a WAV header once the length is known). */
  patch(position: number, bytes: Uint8Array): Promise<void>;
  commit(): Promise<void>;
  discard(): Promise<void>;
}

const UUID_HEX = /^[0-9a-f]{32}$/;

export class DiskResultStore implements ResultStore {
  constructor(private readonly root: string) {}

  private dir(uuid: string): string {
    // uuids reach us from URLs: never let one name a path outside the root.
    if (!UUID_HEX.test(uuid)) throw new Error('invalid result uuid');
    return join(this.root, uuid);
  }

  async create(uuid: string, ext: string): Promise<ResultWriter> {
    const dir = this.dir(uuid);
    await mkdir(dir, { recursive: true });
    const finalPath = join(dir, `output.${ext}`);
    const tmpPath = `${finalPath}.partial`;
    const stream: WriteStream = createWriteStream(tmpPath);
    await new Promise<void>((resolve, reject) => {
      stream.once('open', () => resolve());
      stream.once('error', reject);
    });
    const patches: Array<[number, Uint8Array]> = [];
    return {
      write: (chunk) =>
        new Promise<void>((resolve, reject) => {
          stream.write(chunk, (err) => (err ? reject(err) : resolve()));
        }),
      patch: async (position, bytes) => {
        patches.push([position, bytes]);
      },
      commit: async () => {
        await new Promise<void>((resolve, reject) => stream.end((err?: Error | null) => (err ? reject(err) : resolve())));
        if (patches.length > 0) {
          const fh = await open(tmpPath, 'r+');
          try {
            for (const [pos, bytes] of patches) await fh.write(bytes, 0, bytes.byteLength, pos);
          } finally {
            await fh.close();
          }
        }
        await rename(tmpPath, finalPath);
      },
      discard: async () => {
        stream.destroy();
        await rm(dir, { recursive: true, force: true });
      },
    };
  }

  async writeExtra(uuid: string, name: string, data: string): Promise<void> {
    if (!EXTRA_NAME.test(name)) throw new Error(`invalid extra file name ${name}`);
    const path = join(this.dir(uuid), name);
    // Written aside and renamed, so a reader never sees half a file.
    await writeFile(`${path}.partial`, data);
    await rename(`${path}.partial`, path);
  }

  async readExtra(uuid: string, name: string): Promise<string | undefined> {
    if (!EXTRA_NAME.test(name) || !UUID_HEX.test(uuid)) return undefined;
    try {
      return await readFile(join(this.dir(uuid), name), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async find(uuid: string, ext: string): Promise<ResultFile | undefined> {
    if (!UUID_HEX.test(uuid) || !/^[a-z0-9]{2,5}$/.test(ext)) return undefined;
    const path = join(this.root, uuid, `output.${ext}`);
    try {
      const s = await stat(path);
      return s.isFile() ? { path, sizeBytes: s.size } : undefined;
    } catch {
      return undefined;
    }
  }

  async remove(uuid: string): Promise<void> {
    await rm(this.dir(uuid), { recursive: true, force: true });
  }
}
