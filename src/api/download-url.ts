/**
 * The URL handed out for a stored result file: the node's `/static/downloads/<uuid>/<file>`, or,
 * with S3 results and `LLAIS_S3_PRESIGN`, a presigned GET URL of the object itself, valid until the
 * result expires (at most 7 days), so clients download from the bucket rather than through a node.
 */
import { S3ResultStore } from '../jobs/s3-result-store.js';
import type { ApiContext } from './context.js';

/** `base`: the node's base URL (`baseUrl(ctx, ex)`); `expiresAtMs`: when the result is deleted (null: never). */
export async function resultFileUrl(ctx: Pick<ApiContext, 'results'>, base: string, uuid: string, file: string, expiresAtMs: number | null): Promise<string> {
  const presigned = ctx.results instanceof S3ResultStore ? await ctx.results.presignedUrl(uuid, file, expiresAtMs) : undefined;
  return presigned ?? `${base}/static/downloads/${uuid}/${file}`;
}
