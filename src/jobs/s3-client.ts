/**
 * The one S3 client set-up every S3 user shares (results, job uploads, stored voices' audio,
 * presigning, the doctor): path style and credentials from the cluster settings, and checksums
 * only where S3 requires them, since several S3-compatible servers reject the newer headers.
 */
import { S3Client } from '@aws-sdk/client-s3';
import type { S3Settings } from '../cluster/cluster-config.js';

export function s3ClientFor(settings: S3Settings, opts: { endpoint?: string; maxAttempts?: number } = {}): S3Client {
  const endpoint = opts.endpoint ?? settings.endpoint;
  return new S3Client({
    region: settings.region,
    ...(endpoint ? { endpoint } : {}),
    forcePathStyle: settings.forcePathStyle,
    credentials: { accessKeyId: settings.accessKeyId, secretAccessKey: settings.secretAccessKey },
    ...(opts.maxAttempts !== undefined ? { maxAttempts: opts.maxAttempts } : {}),
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

/** Whether an S3 error means the object is not there. */
export function isMissingObject(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === 'NoSuchKey' || e.name === 'NotFound' || e.$metadata?.httpStatusCode === 404;
}
