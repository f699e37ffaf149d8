/**
 * Result files in an S3-compatible bucket (AWS S3, MinIO, Ceph, s3rver), so that any node can
 * serve a result whichever node rendered it. Downloads still go through the node (`openRemote`:
 * a byte range read from the bucket and streamed to the client), so result URLs, Range and the
 * expiry rules stay the node's; a bucket need not be reachable by clients.
 *
 * A result is rendered to a staging file on local disk first (the encoder patches the WAV header
 * at the end), then put under `results/<uuid>/output.<ext>` in one request: an object is either
 * absent or whole, and a second render of the same job (at-least-once) replaces it with the same
 * bytes. `find` gives a local copy (fetched once into the data directory's cache) for work that
 * needs a file path, such as aligning subtitles.
 */
import { createReadStream } from 'node:fs';
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createWriteStream } from 'node:fs';
import { DeleteObjectCommand, GetObjectCommand, HeadBucketCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { S3Settings } from '../cluster/cluster-config.js';
import { S3Presigner } from './s3-presign.js';
import { DiskResultStore, type RemoteResult, type ResultFile, type ResultStore, type ResultWriter } from './result-store.js';
import { isMissingObject, s3ClientFor } from './s3-client.js';

const UUID_HEX = /^[0-9a-f]{32}$/;
const EXTRA_NAME = /^[a-z0-9-]+\.[a-z0-9]+$/;

export class S3ResultStore implements ResultStore {
  private readonly client: S3Client;
  private readonly staging: DiskResultStore;
  /** Set when result URLs are presigned (`LLAIS_S3_PRESIGN`). */
  private readonly presigner: S3Presigner | undefined;

  /** `localDir`: staging files and the local copies `find` hands out (under the data directory). */
  constructor(private readonly settings: S3Settings, private readonly localDir: string) {
    this.client = s3ClientFor(settings);
    this.staging = new DiskResultStore(join(localDir, 'staging'));
    this.presigner = settings.presign ? new S3Presigner(settings) : undefined;
  }

  /** A presigned GET URL of result file `name` valid until `expiresAtMs`; undefined when presigning is off. */
  async presignedUrl(uuid: string, name: string, expiresAtMs: number | null): Promise<string | undefined> {
    return this.presigner?.url(this.key(uuid, name), expiresAtMs);
  }

  private key(uuid: string, name: string): string {
    // uuids reach us from URLs: never let one name another key.
    if (!UUID_HEX.test(uuid)) throw new Error('invalid result uuid');
    return `results/${uuid}/${name}`;
  }

  async create(uuid: string, ext: string): Promise<ResultWriter> {
    const inner = await this.staging.create(uuid, ext);
    const staged = join(this.localDir, 'staging', uuid, `output.${ext}`);
    return {
      write: (chunk) => inner.write(chunk),
      patch: (position, bytes) => inner.patch(position, bytes),
      commit: async () => {
        await inner.commit();
        try {
          const { size } = await stat(staged);
          await this.client.send(new PutObjectCommand({ Bucket: this.settings.bucket, Key: this.key(uuid, `output.${ext}`), Body: createReadStream(staged), ContentLength: size }));
        } finally {
          await rm(join(this.localDir, 'staging', uuid), { recursive: true, force: true });
        }
      },
      discard: () => inner.discard(),
    };
  }

  async openRemote(uuid: string, ext: string): Promise<RemoteResult | undefined> {
    if (!UUID_HEX.test(uuid) || !/^[a-z0-9]{2,5}$/.test(ext)) return undefined;
    const Key = this.key(uuid, `output.${ext}`);
    let sizeBytes: number;
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.settings.bucket, Key }));
      sizeBytes = head.ContentLength ?? 0;
    } catch (err) {
      if (isMissingObject(err)) return undefined;
      throw err;
    }
    return {
      sizeBytes,
      read: async (start, end, signal) => {
        const res = await this.client.send(new GetObjectCommand({ Bucket: this.settings.bucket, Key, Range: `bytes=${start}-${end}` }), { abortSignal: signal });
        return res.Body as AsyncIterable<Uint8Array>;
      },
    };
  }

  async find(uuid: string, ext: string): Promise<ResultFile | undefined> {
    const remote = await this.openRemote(uuid, ext);
    if (!remote) return undefined;
    const dir = join(this.localDir, 'copies', uuid);
    const path = join(dir, `output.${ext}`);
    const have = await stat(path).catch(() => undefined);
    if (have?.size === remote.sizeBytes) return { path, sizeBytes: remote.sizeBytes };
    await mkdir(dir, { recursive: true });
    const partial = `${path}.partial-${process.pid}`;
    if (remote.sizeBytes > 0) await pipeline(await remote.read(0, remote.sizeBytes - 1), createWriteStream(partial));
    else await writeFile(partial, '');
    await rename(partial, path);
    return { path, sizeBytes: remote.sizeBytes };
  }

  async remove(uuid: string): Promise<void> {
    const listed = await this.client.send(new ListObjectsV2Command({ Bucket: this.settings.bucket, Prefix: this.key(uuid, '') }));
    for (const o of listed.Contents ?? []) if (o.Key) await this.client.send(new DeleteObjectCommand({ Bucket: this.settings.bucket, Key: o.Key }));
    await rm(join(this.localDir, 'copies', uuid), { recursive: true, force: true });
  }

  async writeExtra(uuid: string, name: string, data: string): Promise<void> {
    if (!EXTRA_NAME.test(name)) throw new Error(`invalid extra file name ${name}`);
    await this.client.send(new PutObjectCommand({ Bucket: this.settings.bucket, Key: this.key(uuid, name), Body: data, ContentType: 'application/json' }));
  }

  async readExtra(uuid: string, name: string): Promise<string | undefined> {
    if (!EXTRA_NAME.test(name) || !UUID_HEX.test(uuid)) return undefined;
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.settings.bucket, Key: this.key(uuid, name) }));
      return await res.Body!.transformToString('utf8');
    } catch (err) {
      if (isMissingObject(err)) return undefined;
      throw err;
    }
  }

  /** Whether the bucket answers (health), within `timeoutMs`. */
  async reachable(timeoutMs: number): Promise<boolean> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.settings.bucket }), { abortSignal: AbortSignal.timeout(timeoutMs) });
      return true;
    } catch {
      return false;
    }
  }

  close(): void {
    this.client.destroy();
    this.presigner?.close();
  }
}
