/**
 * S3ResultStore against s3rver (an S3-compatible server from npm): a result is invisible until
 * committed and whole once it is (the WAV header patch included), byte ranges read only what was
 * asked, `find` hands out a local copy for work that needs a path, a second write of the same job
 * replaces the first (at-least-once), extras live beside the result and go with it.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { S3ResultStore } from '../src/jobs/s3-result-store.js';
import { tempDir } from './helpers/app.js';
import { startS3, type S3Server } from './helpers/cluster.js';

const UUID = 'a'.repeat(32);

async function readAll(body: AsyncIterable<Uint8Array>): Promise<string> {
  const parts: Buffer[] = [];
  for await (const chunk of body) parts.push(Buffer.from(chunk));
  return Buffer.concat(parts).toString('latin1');
}

describe('S3ResultStore', () => {
  let s3: S3Server;
  let store: S3ResultStore;

  before(async () => {
    s3 = await startS3();
    store = new S3ResultStore(s3.settings, await tempDir('llais-s3-local-'));
  });

  after(async () => {
    store?.close();
    await s3?.stop();
  });

  it('a committed result is whole, patched and readable by range; before the commit it is absent', async () => {
    const w = await store.create(UUID, 'wav');
    await w.write(Buffer.from('XXXXWAVEdata-0123456789'));
    await w.patch(0, Buffer.from('RIFF'));
    assert.equal(await store.openRemote(UUID, 'wav'), undefined, 'not visible before commit');
    await w.commit();
    const remote = await store.openRemote(UUID, 'wav');
    assert.equal(remote?.sizeBytes, 23);
    assert.equal(await readAll(await remote!.read(0, 22)), 'RIFFWAVEdata-0123456789');
    assert.equal(await readAll(await remote!.read(8, 11)), 'data');
    const local = await store.find(UUID, 'wav');
    assert.equal(await readFile(local!.path, 'latin1'), 'RIFFWAVEdata-0123456789');
  });

  it('a second render of the same job replaces the first (at-least-once)', async () => {
    const w = await store.create(UUID, 'wav');
    await w.write(Buffer.from('RIFFsecond'));
    await w.commit();
    const remote = await store.openRemote(UUID, 'wav');
    assert.equal(await readAll(await remote!.read(0, remote!.sizeBytes - 1)), 'RIFFsecond');
    assert.equal(await readFile((await store.find(UUID, 'wav'))!.path, 'latin1'), 'RIFFsecond', 'the local copy follows the object');
  });

  it('extras sit beside the result and are removed with it; a discarded render leaves nothing', async () => {
    await store.writeExtra(UUID, 'words.json', '[{"word":"hi"}]');
    assert.equal(await store.readExtra(UUID, 'words.json'), '[{"word":"hi"}]');
    assert.equal(await store.readExtra(UUID, 'cues.json'), undefined);
    await store.remove(UUID);
    assert.equal(await store.openRemote(UUID, 'wav'), undefined);
    assert.equal(await store.readExtra(UUID, 'words.json'), undefined);
    const other = 'b'.repeat(32);
    const w = await store.create(other, 'mp3');
    await w.write(Buffer.from('partial'));
    await w.discard();
    assert.equal(await store.openRemote(other, 'mp3'), undefined);
  });

  it('refuses uuids and names that could reach other keys; reports reachability', async () => {
    assert.equal(await store.openRemote('../x', 'wav'), undefined);
    assert.equal(await store.readExtra(UUID, '../../etc.json'), undefined);
    await assert.rejects(store.create('../../x', 'wav'), /invalid result uuid/);
    assert.equal(await store.reachable(1000), true);
    const missing = new S3ResultStore({ ...s3.settings, bucket: 'no-such-bucket' }, await tempDir('llais-s3-local-'));
    assert.equal(await missing.reachable(1000), false);
    missing.close();
  });
});
