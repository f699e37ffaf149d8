/**
 * The import rules and size limit from docs/architecture.md, checked on the source itself, so a
 * change that breaks the layering fails here rather than in a review.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { REPO_ROOT } from './helpers/repo.js';

const ROOT = REPO_ROOT;
const SRC = join(ROOT, 'src');

/** Longest a source file may be; tables of data are exempt (listed here with the reason). */
const MAX_LINES = 350;
const DATA_TABLES = new Set<string>([]);

interface SourceFile {
  /** Path from the repository root, e.g. `src/api/tts.ts`. */
  path: string;
  text: string;
  /** Every module specifier it imports or re-exports, relative ones resolved to repo paths. */
  imports: string[];
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

const SPECIFIER = /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+'([^']+)'|import\(\s*'([^']+)'\s*\)/g;

function load(): SourceFile[] {
  return walk(SRC).map((abs) => {
    const text = readFileSync(abs, 'utf8');
    const imports: string[] = [];
    for (const m of text.matchAll(SPECIFIER)) {
      const spec = (m[1] ?? m[2])!;
      imports.push(spec.startsWith('.') ? relative(ROOT, resolve(dirname(abs), spec)) : spec);
    }
    return { path: relative(ROOT, abs), text, imports };
  });
}

const files = load();

function inside(path: string, ...folders: string[]): boolean {
  return folders.some((f) => path === f || path.startsWith(`${f}/`) || path === `${f}.ts`);
}

/** Imports of `importers` that land in `targets`, as `file -> import` lines. */
function violations(importers: (f: SourceFile) => boolean, targets: (spec: string) => boolean): string[] {
  return files.filter(importers).flatMap((f) => f.imports.filter(targets).map((spec) => `${f.path} -> ${spec}`));
}

describe('architecture rules', () => {
  it('finds the source files and their imports (the checks below are not vacuous)', () => {
    assert.ok(files.length > 100, `only ${files.length} files found under src/`);
    const app = files.find((f) => f.path === 'src/app.ts');
    assert.ok(app?.imports.some((s) => inside(s, 'src/api')), 'src/app.ts should be seen importing src/api/');
  });

  it('only src/api/, src/app.ts and src/cli.ts import src/api/', () => {
    const allowed = (f: SourceFile) => inside(f.path, 'src/api') || f.path === 'src/app.ts' || f.path === 'src/cli.ts';
    assert.deepEqual(violations((f) => !allowed(f), (s) => inside(s, 'src/api')), []);
  });

  it('src/engines/ imports nothing from workers, http, api or realtime', () => {
    assert.deepEqual(violations((f) => inside(f.path, 'src/engines'), (s) => inside(s, 'src/workers', 'src/http', 'src/api', 'src/realtime')), []);
  });

  it('src/accounts/ imports nothing from src/http/ or src/api/ (api/access.ts adapts it to HTTP)', () => {
    assert.deepEqual(violations((f) => inside(f.path, 'src/accounts'), (s) => inside(s, 'src/http', 'src/api')), []);
  });

  it('src/realtime/ imports nothing from src/http/', () => {
    assert.deepEqual(violations((f) => inside(f.path, 'src/realtime'), (s) => inside(s, 'src/http')), []);
  });

  it('src/text/ and src/audio/ import no engine, service or transport', () => {
    const layers = ['src/engines', 'src/tts', 'src/stt', 'src/workers', 'src/http', 'src/api', 'src/realtime', 'src/llm', 'src/voice-chat', 'src/jobs', 'src/models', 'src/storage'];
    assert.deepEqual(violations((f) => inside(f.path, 'src/text', 'src/audio'), (s) => inside(s, ...layers)), []);
  });

  it('only src/http/ imports uWebSockets.js, and only engine folders load onnxruntime-node', () => {
    assert.deepEqual(violations((f) => !inside(f.path, 'src/http'), (s) => s === 'uWebSockets.js'), []);
    assert.deepEqual(violations((f) => !inside(f.path, 'src/engines'), (s) => s === 'onnxruntime-node'), []);
  });

  it(`no source file is over ${MAX_LINES} lines (data tables aside)`, () => {
    const long = files
      .filter((f) => !DATA_TABLES.has(f.path))
      .map((f) => ({ path: f.path, lines: f.text.split('\n').length }))
      .filter((f) => f.lines > MAX_LINES + 1)
      .map((f) => `${f.path}: ${f.lines}`);
    assert.deepEqual(long, []);
  });
});
