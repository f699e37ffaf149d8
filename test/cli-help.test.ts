/**
 * `llais --help` and `-h` on every command and subcommand print its usage on stdout and exit 0
 * without running it; an unknown command, subcommand or option prints usage on stderr and exits
 * 2, before anything runs. Each form is checked through checkCommandLine (what cli.ts obeys);
 * the exits, streams and "runs nothing" through the real CLI as a child process.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { checkCommandLine } from '../src/cli-usage.js';
import { tempDir } from './helpers/app.js';
import { cliArgs, REPO_ROOT } from './helpers/repo.js';

const ROOT = REPO_ROOT;

interface Run { code: number; stdout: string; stderr: string }

/** Runs `llais …` with only PATH from this environment, so no LLAIS_* variable leaks in. */
function llais(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, cliArgs(...args), { cwd: ROOT, env: { PATH: process.env.PATH ?? '' } }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** Every command form, and the words its usage line starts with. */
const FORMS: Array<[string[], string]> = [
  [['serve'], 'llais serve'],
  [['worker'], 'llais worker'],
  [['doctor'], 'llais doctor'],
  [['models', 'list'], 'llais models [list]'],
  [['models', 'pull'], 'llais models pull <id>'],
  [['models', 'remove'], 'llais models remove <id>'],
  [['keys', 'create'], 'llais keys create --account'],
  [['keys', 'list'], 'llais keys list'],
  [['keys', 'revoke'], 'llais keys revoke <key id>'],
  [['credits', 'grant'], 'llais credits grant --account'],
  [['credits', 'balance'], 'llais credits balance --account'],
  [['credits', 'history'], 'llais credits history --account'],
  [['webhooks', 'secret'], 'llais webhooks secret'],
];

describe('llais --help', () => {
  it('llais --help and llais -h list every command and exit 0', async () => {
    for (const flag of ['--help', '-h']) {
      const r = await llais(flag);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^usage:/);
      for (const [, usage] of FORMS) assert.ok(r.stdout.includes(usage), `${flag}: ${usage} missing`);
      assert.equal(r.stderr, '');
    }
  });

  it('every command and subcommand, with --help or -h anywhere among its arguments, is help with its own usage', () => {
    for (const [words, usage] of FORMS) {
      for (const args of [[...words, '--help'], [...words, '-h'], ['-h', ...words], [...words, '--data-dir', '/tmp/x', '--help']]) {
        const v = checkCommandLine(args);
        assert.equal(v.kind, 'help', args.join(' '));
        assert.ok(v.kind === 'help' && v.text.startsWith(`usage:\n  ${usage}`), `${args.join(' ')}: ${JSON.stringify(v)}`);
      }
    }
  });

  it('a command family (models, keys, credits) with --help prints all of its forms and nothing else', () => {
    for (const family of ['models', 'keys', 'credits']) {
      const v = checkCommandLine([family, '--help']);
      assert.equal(v.kind, 'help');
      const forms = FORMS.filter(([w]) => w[0] === family);
      assert.equal(forms.length, 3);
      for (const [, usage] of forms) assert.ok(v.kind === 'help' && v.text.includes(usage), `${family}: ${usage}`);
      assert.ok(v.kind === 'help' && !v.text.includes('llais serve'), `${family}: only its own forms`);
    }
  });

  it('the real CLI: llais models pull -h prints on stdout and exits 0', async () => {
    const r = await llais('models', 'pull', '-h');
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.stdout.startsWith('usage:\n  llais models pull <id>'), r.stdout);
    assert.equal(r.stderr, '');
  });

  it('--help runs nothing: keys create --help makes no key and no database', async () => {
    const dataDir = join(await tempDir(), 'data');
    const r = await llais('keys', 'create', '--account', 'ops', '--data-dir', dataDir, '--help');
    assert.equal(r.code, 0);
    assert.doesNotMatch(r.stdout, /sk-tts-/);
    assert.equal(existsSync(dataDir), false);
  });
});

describe('llais refuses what it does not know, with usage and exit 2', () => {
  it('an unknown command', async () => {
    const r = await llais('serv');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown command 'serv'/);
    assert.match(r.stderr, /usage:\n {2}llais serve/);
    assert.equal(r.stdout, '');
  });

  it('an unknown subcommand, and a command family without one', () => {
    const bad = checkCommandLine(['keys', 'delete', '3']);
    assert.equal(bad.kind, 'usage_error');
    assert.ok(bad.kind === 'usage_error' && /unknown command 'keys delete'/.test(bad.text) && bad.text.includes('llais keys revoke <key id>'), JSON.stringify(bad));
    const none = checkCommandLine(['credits']);
    assert.ok(none.kind === 'usage_error' && none.text.includes("'credits' needs a subcommand"), JSON.stringify(none));
  });

  it('an unknown option, on each form; an option of another form (--plan on keys list); an option missing its value', () => {
    for (const [words, usage] of FORMS) {
      const v = checkCommandLine([...words, '--colour']);
      assert.ok(v.kind === 'usage_error' && v.text.includes(`unknown option --colour for 'llais ${words.join(' ')}'`) && v.text.includes(usage), JSON.stringify(v));
    }
    const other = checkCommandLine(['keys', 'list', '--plan', 'pro']);
    assert.ok(other.kind === 'usage_error' && other.text.includes("unknown option --plan for 'llais keys list'"), JSON.stringify(other));
    const noValue = checkCommandLine(['serve', '--port']);
    assert.ok(noValue.kind === 'usage_error' && noValue.text.includes('--port needs a value'), JSON.stringify(noValue));
  });

  it('what each form takes runs: its options, a negative credit amount, the default command', () => {
    for (const args of [[], ['--port', '9000'], ['doctor', '--host', '0.0.0.0'], ['models'], ['models', 'pull', 'kokoro', '--trust-unpinned'], ['keys', 'create', '--account', 'ops', '--plan', 'pro'], ['credits', 'grant', '--account', 'ops', '-500', '--note', 'refund'], ['credits', 'history', '--account', 'ops', '--limit', '5'], ['webhooks', 'secret', '--rotate']]) {
      assert.deepEqual(checkCommandLine(args), { kind: 'run' }, args.join(' '));
    }
  });

  it('the real CLI: an unknown option prints usage on stderr and exits 2, running nothing', async () => {
    const r = await llais('models', 'list', '--colour');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown option --colour for 'llais models list'\nusage:\n {2}llais models \[list\]/);
    assert.equal(r.stdout, '');
  });
});
