/**
 * Where a queued audio job's upload waits (src/jobs/job-uploads.ts): the shared data directory's
 * store round-trips a file, reports it gone once removed, and refuses names that could leave its
 * folder. (The S3 store is exercised by the three-node test in cluster-postgres.test.ts.)
 */
import assert from 'node:assert/strict';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { SharedDirJobUploads } from '../src/jobs/job-uploads.js';
import { tempDir } from './helpers/app.js';

const ID = `atj_${'ab'.repeat(16)}`;

describe('job uploads in the shared data directory', () => {
  it('put, fetch, exists, remove', async () => {
    const root = await tempDir();
    const work = await tempDir();
    const uploads = new SharedDirJobUploads(join(root, 'job-uploads'));
    const src = join(work, 'in.wav');
    await writeFile(src, 'RIFF-bytes');
    await uploads.put(ID, 'wav', src);
    assert.equal(await uploads.exists(ID, 'wav'), true);
    const dest = join(work, 'copy.wav');
    assert.equal(await uploads.fetch(ID, 'wav', dest), true);
    assert.equal(await readFile(dest, 'utf8'), 'RIFF-bytes');
    await uploads.remove(ID, 'wav');
    assert.equal(await uploads.exists(ID, 'wav'), false);
    assert.equal(await uploads.fetch(ID, 'wav', join(work, 'again.wav')), false, 'gone: false, not a throw');
    assert.deepEqual(await readdir(join(root, 'job-uploads')), [], 'the job folder went with it');
    await uploads.remove(ID, 'wav');
  });

  it('refuses ids and extensions that could name another path', async () => {
    const uploads = new SharedDirJobUploads(await tempDir());
    for (const [id, ext] of [['../etc', 'wav'], [`atj_${'0'.repeat(31)}`, 'wav'], [ID, '../x'], [ID, 'w/v']]) {
      await assert.rejects(uploads.exists(id!, ext!), /invalid job upload name/);
    }
  });
});
