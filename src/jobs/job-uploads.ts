/**
 * Where a queued job's upload waits for the node that runs it: an S3-compatible bucket
 * (`uploads/<job id>/input.<ext>`) when the cluster has one, else the shared data directory
 * (`<data dir>/job-uploads/<job id>/input.<ext>`, LLAIS_SHARED_DATA_DIR=true). The running node
 * copies it into its own work folder, and it is deleted once the job has ended (any outcome).
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { copyFile, mkdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { S3Settings } from '../cluster/cluster-config.js';
import { isMissingObject, s3ClientFor } from './s3-client.js';

/** Job ids come from URLs too: never let one name another key or path. */
const JOB_ID = /^[a-z]{2,4}_[0-9a-f]{32}$/;
const EXT = /^[a-z0-9]{1,8}$/;

export interface JobUploads {
  readonly kind: 's3' | 'shared-dir';
  /** Stores the local file `path` as job `id`'s input. */
  put(id: string, ext: string, path: string): Promise<void>;
  /** Copies job `id`'s input to `dest`; false when it is gone. */
  fetch(id: string, ext: string, dest: string): Promise<boolean>;
  /** Whether job `id`'s input is still stored (tests, diagnostics). */
  exists(id: string, ext: string): Promise<boolean>;
  remove(id: string, ext: string): Promise<void>;
  close(): void;
}

function name(id: string, ext: string): string {
  if (!JOB_ID.test(id) || !EXT.test(ext)) throw new Error('invalid job upload name');
  return `${id}/input.${ext}`;
}


export class S3JobUploads implements JobUploads {
  readonly kind = 's3';
  private readonly client: S3Client;

  constructor(private readonly settings: S3Settings) {
    this.client = s3ClientFor(settings);
  }

  private key(id: string, ext: string): string {
    return `uploads/${name(id, ext)}`;
  }

  async put(id: string, ext: string, path: string): Promise<void> {
    const { size } = await stat(path);
    await this.client.send(new PutObjectCommand({ Bucket: this.settings.bucket, Key: this.key(id, ext), Body: createReadStream(path), ContentLength: size }));
  }

  async fetch(id: string, ext: string, dest: string): Promise<boolean> {
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.settings.bucket, Key: this.key(id, ext) }));
      await pipeline(res.Body as NodeJS.ReadableStream, createWriteStream(dest));
      return true;
    } catch (err) {
      if (isMissingObject(err)) return false;
      throw err;
    }
  }

  async exists(id: string, ext: string): Promise<boolean> {
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.settings.bucket, Key: this.key(id, ext) }));
      return true;
    } catch (err) {
      if (isMissingObject(err)) return false;
      throw err;
    }
  }

  async remove(id: string, ext: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.settings.bucket, Key: this.key(id, ext) }));
  }

  close(): void {
    this.client.destroy();
  }
}

export class SharedDirJobUploads implements JobUploads {
  readonly kind = 'shared-dir';

  constructor(private readonly root: string) {}

  async put(id: string, ext: string, path: string): Promise<void> {
    const dest = join(this.root, name(id, ext));
    await mkdir(join(dest, '..'), { recursive: true });
    await copyFile(path, dest);
  }

  async fetch(id: string, ext: string, dest: string): Promise<boolean> {
    try {
      await copyFile(join(this.root, name(id, ext)), dest);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
  }

  async exists(id: string, ext: string): Promise<boolean> {
    return (await stat(join(this.root, name(id, ext))).catch(() => undefined)) !== undefined;
  }

  async remove(id: string, ext: string): Promise<void> {
    await rm(join(this.root, name(id, ext), '..'), { recursive: true, force: true });
  }

  close(): void {}
}
