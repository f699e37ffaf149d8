/**
 * What accounts cost on the hot path: time to first audio on `POST /v1/audio/speech` (pcm, the
 * 200-character text) against a server with key rules on (a Bearer key looked up by hash, the
 * plan's rate and concurrency counted, credits reserved and committed on the ledger, saved
 * pronunciations read) versus the same request against an open-mode server, in the same run.
 *
 * Two real servers in child processes, one request at a time, alternating which goes first each
 * round, so that noise from other tenants of this machine lands on both alike. The key is created
 * with `llais keys create` while the keyed server runs, as an operator would.
 * Target: the keyed median at most 1.05× the open one.
 */
import { execFile } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { timeAudioBody } from './lib/client.js';
import { OPENAI_MODEL, TEXT_200, VOICE } from './lib/fixtures.js';
import { heading, ms, printTable, ratio, verdict } from './lib/report.js';
import { REPO_ROOT, withServer, type BenchServer } from './lib/server.js';
import { summarize } from './lib/stats.js';

const WARMUP_ROUNDS = 3;
/** 2 × 43 requests stay well inside the enterprise plan's 300 a minute, so no request is limited. */
const MEASURED_ROUNDS = 40;
const MAX_RATIO = 1.05;
const BENCH_CREDITS = 1_000;

async function cli(server: BenchServer, args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args, '--data-dir', server.dataDir], { cwd: REPO_ROOT });
  return stdout.trim();
}

export async function runAuth(): Promise<void> {
  heading('auth: time to first audio, /v1/audio/speech pcm, key rules + limits + credits vs open');
  const body = { model: OPENAI_MODEL, input: TEXT_200, voice: VOICE, response_format: 'pcm' };
  await withServer(async (open) => {
    await withServer(async (keyed) => {
      const key = await cli(keyed, ['keys', 'create', '--account', 'bench', '--plan', 'enterprise']);
      await cli(keyed, ['credits', 'grant', '--account', 'bench', String(BENCH_CREDITS)]);
      const auth = { authorization: `Bearer ${key}` };
      const samples = { open: [] as number[], keyed: [] as number[] };
      const one = async (which: 'open' | 'keyed', keep: boolean): Promise<void> => {
        const t = which === 'open'
          ? await timeAudioBody(`${open.url}/v1/audio/speech`, body)
          : await timeAudioBody(`${keyed.url}/v1/audio/speech`, body, undefined, auth);
        if (which === 'keyed' && t.headers.get('x-ratelimit-limit') === null) throw new Error('the keyed server answered without rate-limit headers: key rules are off');
        if (keep) samples[which].push(t.firstAudioMs);
      };
      for (let round = 0; round < WARMUP_ROUNDS + MEASURED_ROUNDS; round++) {
        const keep = round >= WARMUP_ROUNDS;
        const order: Array<'open' | 'keyed'> = round % 2 === 0 ? ['open', 'keyed'] : ['keyed', 'open'];
        for (const which of order) await one(which, keep);
      }
      const balance = await cli(keyed, ['credits', 'balance', '--account', 'bench']);
      const o = summarize(samples.open);
      const k = summarize(samples.keyed);
      printTable(
        ['server', 'n', 'median ms', 'p95 ms', 'min ms'],
        [
          ['open mode (baseline)', String(o.n), ms(o.median), ms(o.p95), ms(o.min)],
          ['keys + limits + credits', String(k.n), ms(k.median), ms(k.p95), ms(k.min)],
        ],
      );
      const r = k.median / o.median;
      console.log(`keyed / open median: ${ratio(r)} (target <= ${MAX_RATIO}×) ${verdict(r <= MAX_RATIO)}; ledger after the run: ${balance}`);
    });
  });
}

if (import.meta.url === pathToFileURL(process.argv[1]!).href) {
  runAuth().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
