/**
 * The start rule: with no API keys, a server is open only on loopback; on any other address it
 * refuses to start (saying how to create a key or opt in) unless LLAIS_AUTH=open, or once a key
 * exists, when the contract's key rules hold from the first request.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { openAccounts } from '../src/accounts/accounts.js';
import { generateApiKey } from '../src/accounts/api-key.js';
import { loadConfig } from '../src/config.js';
import { openDatabase } from '../src/storage/database.js';
import { startTestApp, tempDir } from './helpers/app.js';

describe('auth modes and the start rule', () => {
  it('listens on loopback by default, and LLAIS_AUTH picks the mode', () => {
    assert.equal(loadConfig({}, { env: {} }).host, '127.0.0.1');
    assert.equal(loadConfig({}, { env: {} }).auth, 'auto');
    assert.equal(loadConfig({}, { env: { LLAIS_AUTH: 'open' } }).auth, 'open');
  });

  it('refuses to start on a non-loopback address with no keys, saying how to create one or opt in', async () => {
    await assert.rejects(startTestApp({ host: '0.0.0.0' }), (err: Error) => {
      assert.match(err.message, /refusing to listen on 0\.0\.0\.0/);
      assert.match(err.message, /llais keys create --account/);
      assert.match(err.message, /LLAIS_AUTH=open/);
      return true;
    });
  });

  it('refuses a malformed auth setting before starting anything', async () => {
    await assert.rejects(startTestApp({ auth: 'maybe' }), /auth must be one of auto, open, keys/);
  });

  it('starts open on a non-loopback address when LLAIS_AUTH=open says so', async () => {
    const app = await startTestApp({ host: '0.0.0.0', auth: 'open' });
    try {
      const res = await fetch(`${app.url}/api/v1/pronunciations/`);
      assert.equal(res.status, 200);
    } finally {
      await app.close();
    }
  });

  it('starts on a non-loopback address once a key exists, with keys required', async () => {
    const dataDir = await tempDir();
    const db = openDatabase(dataDir);
    const accounts = openAccounts(loadConfig({ dataDir }, { env: {} }), db);
    accounts.accounts.ensure('ops', 'pro');
    const key = generateApiKey();
    accounts.keys.add('ops', key);
    db.close();
    const app = await startTestApp({ host: '0.0.0.0', dataDir });
    try {
      const anonymous = await fetch(`${app.url}/api/v1/pronunciations/`);
      assert.equal(anonymous.status, 401);
      assert.equal(((await anonymous.json()) as { error: { code: string } }).error.code, 'missing_api_key');
      const keyed = await fetch(`${app.url}/api/v1/pronunciations/`, { headers: { authorization: `Bearer ${key}` } });
      assert.equal(keyed.status, 200);
    } finally {
      await app.close();
    }
  });

  it('keeps key rules on a loopback server whose keys were all revoked', async () => {
    const app = await startTestApp();
    try {
      const { accounts, keys } = app.context.accounts;
      accounts.ensure('gone', 'free');
      const info = (await keys.add('gone', generateApiKey()));
      keys.revoke(info.id);
      assert.equal((await fetch(`${app.url}/api/v1/pronunciations/`)).status, 401);
    } finally {
      await app.close();
    }
  });
});
