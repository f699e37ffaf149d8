/**
 * Presigned GET URLs for result objects (`LLAIS_S3_PRESIGN`), so clients download straight from
 * the bucket instead of through a node. Signed for the endpoint clients reach
 * (`LLAIS_S3_PUBLIC_ENDPOINT`, else the node's own), since the host is part of the signature; each
 * URL lasts until its result expires, capped at the 7 days S3 accepts for a presigned URL.
 */
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { S3Settings } from '../cluster/cluster-config.js';
import { s3ClientFor } from './s3-client.js';

/** SigV4's limit on a presigned URL's lifetime. */
export const MAX_PRESIGN_SECONDS = 7 * 24 * 3600;

export class S3Presigner {
  private readonly client: S3Client;

  constructor(private readonly settings: S3Settings) {
    this.client = s3ClientFor(settings, { endpoint: settings.publicEndpoint || settings.endpoint });
  }

  /** A GET URL for object `key` that works until `expiresAtMs` (null: never expires) or 7 days, whichever is sooner. */
  async url(key: string, expiresAtMs: number | null, nowMs = Date.now()): Promise<string> {
    const left = expiresAtMs === null ? MAX_PRESIGN_SECONDS : Math.ceil((expiresAtMs - nowMs) / 1000);
    const expiresIn = Math.max(1, Math.min(MAX_PRESIGN_SECONDS, left));
    return getSignedUrl(this.client, new GetObjectCommand({ Bucket: this.settings.bucket, Key: key }), { expiresIn });
  }

  close(): void {
    this.client.destroy();
  }
}
