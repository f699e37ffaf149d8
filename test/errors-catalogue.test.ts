/**
 * The error catalogue (src/errors.ts), the codes the server really uses, and docs/errors.md must
 * agree: the compiler holds every `new ApiError(code, …)` to the catalogue, and this test holds
 * the catalogue to the document and to the source, both ways.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ApiError, ERROR_CATALOGUE, type ErrorCode } from '../src/errors.js';
import { REPO_ROOT } from './helpers/repo.js';

const ROOT = REPO_ROOT;

function documented(): Map<string, number> {
  const doc = readFileSync(join(ROOT, 'docs', 'errors.md'), 'utf8');
  const rows = new Map<string, number>();
  for (const m of doc.matchAll(/^\| `([a-z_]+)` \| (\d{3}) \|/gm)) {
    assert.ok(!rows.has(m[1]!), `docs/errors.md lists '${m[1]}' twice`);
    rows.set(m[1]!, Number(m[2]));
  }
  return rows;
}

function sourceText(): string {
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
  return walk(join(ROOT, 'src'))
    .filter((f) => !f.endsWith(join('src', 'errors.ts')))
    .map((f) => readFileSync(f, 'utf8'))
    .join('\n');
}

describe('error catalogue', () => {
  const docs = documented();
  const catalogue = new Map(Object.entries(ERROR_CATALOGUE));

  it('docs/errors.md lists every catalogued code with its status, and nothing else', () => {
    assert.ok(docs.size > 40, `only ${docs.size} rows parsed from docs/errors.md`);
    const missing = [...catalogue.keys()].filter((c) => !docs.has(c));
    const extra = [...docs.keys()].filter((c) => !catalogue.has(c));
    const wrongStatus = [...docs].filter(([c, s]) => catalogue.has(c) && catalogue.get(c) !== s).map(([c, s]) => `${c}: doc ${s}, code ${catalogue.get(c)}`);
    assert.deepEqual({ missing, extra, wrongStatus }, { missing: [], extra: [], wrongStatus: [] });
  });

  it('every catalogued code is used by the server', () => {
    const src = sourceText();
    const unused = [...catalogue.keys()].filter((c) => !src.includes(`'${c}'`));
    assert.deepEqual(unused, []);
  });

  it('a code fixes the status and the envelope type', () => {
    const cases: Array<[ErrorCode, number, string]> = [
      ['voice_not_found', 400, 'invalid_request_error'],
      ['result_expired', 404, 'not_found_error'],
      ['file_too_large', 413, 'invalid_request_error'],
      ['model_not_installed', 424, 'model_not_installed'],
      ['llm_unavailable', 502, 'server_error'],
      ['overloaded', 503, 'overloaded_error'],
    ];
    for (const [code, status, type] of cases) {
      const err = new ApiError(code, 'm', 'p');
      assert.equal(err.status, status, code);
      assert.deepEqual(err.toEnvelope(), { error: { message: 'm', type, code, param: 'p' } });
    }
  });
});
