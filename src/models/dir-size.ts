/** Bytes of all regular files under a directory, for `llais models list` and `remove`. */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** Sum of file sizes under `dir`, recursively; 0 when it does not exist. */
export async function dirSize(dir: string, filter: (name: string) => boolean = () => true): Promise<number> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  let total = 0;
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) total += await dirSize(p, filter);
    else if (e.isFile() && filter(e.name)) total += (await stat(p)).size;
  }
  return total;
}
