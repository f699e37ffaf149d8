/** An audio file given as a Blob, bytes or a path on disk, made into a multipart part. */
import { openAsBlob } from 'node:fs';
import { basename } from 'node:path';

/** Audio to upload: a Blob/File, bytes (Buffer is a Uint8Array), or a file's path. */
export type FileInput = Blob | Uint8Array | ArrayBuffer | string;

/** Appends `file` to `form` as `field`; a path is streamed from disk, not read into memory. */
export async function appendFile(form: FormData, field: string, file: FileInput, filename?: string): Promise<void> {
  if (typeof file === 'string') {
    form.append(field, await openAsBlob(file), filename ?? basename(file));
  } else if (file instanceof Blob) {
    form.append(field, file, filename ?? ((file as { name?: string }).name || 'audio'));
  } else {
    // A copy: Blob takes views of an ArrayBuffer only, and a Uint8Array may view a SharedArrayBuffer.
    form.append(field, new Blob([file instanceof ArrayBuffer ? file : new Uint8Array(file)]), filename ?? 'audio');
  }
}

/** Appends the defined fields of `fields` as text parts (booleans as `true`/`false`). */
export function appendFields(form: FormData, fields: Record<string, string | number | boolean | undefined>): void {
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) form.append(k, String(v));
}
