/**
 * GET /v1/speech/subtitles/ on a real server: eSpeak's own word times and, for Flite (which has
 * none), forced alignment with PocketSphinx on the rendered audio. Cues lie inside the audio,
 * keep the broadcast limits and show the text as written ("Dr.", "1999", a say-as "42", "GIF"
 * under a pronunciation), never the spoken expansions; the second call is a disk read; another
 * account's job is a 404.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { generateApiKey } from '../src/accounts/api-key.js';
import type { App } from '../src/app.js';
import { startTestApp, tempDir } from './helpers/app.js';

const TEXT =
  'Dr. Smith was born in 1999. <say-as interpret-as="cardinal">42</say-as> apples fell from the old tree, and everyone in the village came out to look at them. The GIF was funny.';

interface ParsedCue {
  start: number;
  end: number;
  lines: string[];
}

function seconds(clock: string): number {
  const m = /^(\d+):(\d\d):(\d\d)[.,](\d{3})$/.exec(clock.trim());
  assert.ok(m, `a cue time: ${clock}`);
  return Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]) + Number(m[4]) / 1000;
}

/** Parses SRT or WebVTT strictly enough that a malformed file fails the test. */
function parseCues(text: string, format: 'srt' | 'vtt'): ParsedCue[] {
  let body = text.replace(/\r\n/g, '\n');
  if (format === 'vtt') {
    assert.ok(body.startsWith('WEBVTT\n'), 'a WebVTT file starts with its signature');
    body = body.slice('WEBVTT\n'.length);
  }
  const blocks = body.split(/\n\n+/).map((b) => b.trim()).filter(Boolean);
  return blocks.map((block, i) => {
    const lines = block.split('\n');
    if (format === 'srt') assert.equal(lines.shift(), String(i + 1), 'SRT cues are numbered from 1');
    const [from, to] = lines.shift()!.split(' --> ');
    return { start: seconds(from!), end: seconds(to!), lines };
  });
}

async function job(app: App, body: unknown, key?: string): Promise<{ uuid: string; duration: number }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (key) headers.authorization = `Bearer ${key}`;
  const created = await fetch(`${app.url}/v1/tts/`, { method: 'POST', headers, body: JSON.stringify(body) });
  const { uuid } = (await created.json()) as { uuid: string };
  assert.equal(created.status, 200);
  for (let i = 0; i < 600; i++) {
    const poll = (await (await fetch(`${app.url}/v1/speech/results/?uuid=${uuid}`, { headers })).json()) as { status: string; duration: number; error?: string };
    if (poll.status === 'completed') return { uuid, duration: poll.duration };
    assert.notEqual(poll.status, 'failed', poll.error);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('job did not finish');
}

function checkCues(cues: ParsedCue[], duration: number): void {
  assert.ok(cues.length >= 3, `several cues: ${JSON.stringify(cues)}`);
  let previousEnd = 0;
  for (const c of cues) {
    assert.ok(c.start >= 0 && c.end <= duration + 0.001, `inside the audio (0..${duration}): ${JSON.stringify(c)}`);
    assert.ok(c.start < c.end && c.end - c.start <= 7.001 && c.start >= previousEnd - 0.001, JSON.stringify(c));
    assert.ok(c.lines.length >= 1 && c.lines.length <= 2 && c.lines.every((l) => l.length <= 42), JSON.stringify(c));
    previousEnd = c.end;
  }
  const shown = cues.flatMap((c) => c.lines).join(' ');
  assert.equal(shown, 'Dr. Smith was born in 1999. 42 apples fell from the old tree, and everyone in the village came out to look at them. The GIF was funny.');
  assert.doesNotMatch(shown, /nineteen|forty|jiff|doctor/i, 'no spoken expansions');
}

describe('subtitles for TTS jobs', () => {
  it('eSpeak (its own word times) and Flite (aligned by the recognizer): SRT and VTT, as written, inside the audio, cached on disk', async () => {
    const dataDir = await tempDir();
    const app = await startTestApp({ dataDir });
    try {
      for (const [voice, source] of [['en-us', 'engine'], ['flite-slt', 'alignment']] as const) {
        const { uuid, duration } = await job(app, { text: TEXT, voice, format: 'wav', pronunciations: { GIF: 'jiff' } });
        const srt = await fetch(`${app.url}/v1/speech/subtitles/?uuid=${uuid}`);
        const srtText = await srt.text();
        assert.equal(srt.status, 200, srtText);
        assert.equal(srt.headers.get('content-type'), 'application/x-subrip; charset=utf-8');
        assert.equal(srt.headers.get('x-subtitle-timing'), source);
        assert.equal(srt.headers.get('content-disposition'), null);
        checkCues(parseCues(srtText, 'srt'), duration);

        // The second call reads the cache: a cue edited on disk shows up as edited.
        const cacheFile = join(dataDir, 'results', uuid, 'cues.json');
        const cached = JSON.parse(await (await import('node:fs/promises')).readFile(cacheFile, 'utf8')) as ParsedCue[];
        cached[0]!.lines = ['(edited on disk)'];
        await writeFile(cacheFile, JSON.stringify(cached));
        const vtt = await fetch(`${app.url}/v1/speech/subtitles/?uuid=${uuid}&format=vtt&download=1`);
        const vttText = await vtt.text();
        assert.equal(vtt.status, 200);
        assert.equal(vtt.headers.get('content-type'), 'text/vtt; charset=utf-8');
        assert.equal(vtt.headers.get('x-subtitle-timing'), 'cache');
        assert.equal(vtt.headers.get('content-disposition'), `attachment; filename="${uuid}.vtt"`);
        assert.deepEqual(parseCues(vttText, 'vtt')[0]!.lines, ['(edited on disk)']);
      }
      const bad = await fetch(`${app.url}/v1/speech/subtitles/?uuid=${'0'.repeat(32)}&format=ass`);
      assert.equal(bad.status, 400);
      assert.equal(((await bad.json()) as { error: { param: string } }).error.param, 'format');
      assert.equal((await fetch(`${app.url}/v1/speech/subtitles/?uuid=${'0'.repeat(32)}`)).status, 404);
      assert.equal((await fetch(`${app.url}/v1/speech/subtitles/`)).status, 400);
    } finally {
      await app.close();
    }
  });

  it('a job of one account is a 404 for another; an unfinished job is a 409', async () => {
    const app = await startTestApp({ auth: 'keys' });
    try {
      const key = (id: string): string => {
        const { accounts, keys, ledger } = app.context.accounts;
        accounts.ensure(id, 'pro');
        ledger.grant(id, 100, 'test');
        const k = generateApiKey();
        keys.add(id, k);
        return k;
      };
      const alice = key('alice');
      const bob = key('bob');
      const { uuid } = await job(app, { text: 'Only for Alice.', voice: 'en-us', format: 'wav' }, alice);
      const asBob = await fetch(`${app.url}/v1/speech/subtitles/?uuid=${uuid}`, { headers: { authorization: `Bearer ${bob}` } });
      assert.equal(asBob.status, 404);
      assert.equal((await fetch(`${app.url}/v1/speech/subtitles/?uuid=${uuid}`)).status, 404, 'nor without a key');
      assert.equal((await fetch(`${app.url}/v1/speech/subtitles/?uuid=${uuid}`, { headers: { authorization: `Bearer ${alice}` } })).status, 200);
      // Jobs run one at a time: the second of two long ones is still queued when asked at once.
      const post = (): Promise<Response> => fetch(`${app.url}/v1/tts/`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${alice}` }, body: JSON.stringify({ text: 'A sentence to speak. '.repeat(40), voice: 'en-us', format: 'wav' }) });
      await post();
      const queued = (await (await post()).json()) as { uuid: string };
      const early = await fetch(`${app.url}/v1/speech/subtitles/?uuid=${queued.uuid}`, { headers: { authorization: `Bearer ${alice}` } });
      assert.equal(early.status, 409);
      assert.equal(((await early.json()) as { error: { code: string } }).error.code, 'job_not_completed');
    } finally {
      await app.close();
    }
  });
});
