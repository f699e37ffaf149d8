/**
 * The playground at `/`, driven in real headless Chromium (Debian's `chromium` through
 * playwright-core): Speak plays streamed audio and shows the words, Transcribe turns an upload
 * and the (fake) microphone into text, Live completes a voice turn over /v1/realtime with the
 * echo responder. The fake microphone plays a WAV this server synthesized, so no recording is
 * shipped. Every request the page makes must go to this server: others are refused and counted.
 *
 * Screenshots for docs/playground.md: LLAIS_PLAYGROUND_SCREENSHOTS=docs/images makes the test
 * save one per tab there.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { generateApiKey } from '../src/accounts/api-key.js';
import type { App } from '../src/app.js';
import { startTestApp, tempDir } from './helpers/app.js';
import { corpusWer } from './helpers/wer.js';

/** Debian's Chromium; CI installs it (.ci/run). Without it the browser tests skip. */
const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
const SKIP = CHROMIUM ? false : 'no chromium binary (/usr/bin/chromium): apt-get install chromium';

/** What the fake microphone says: the clearest built-in voice, a sentence PocketSphinx knows well. */
const SENTENCE = 'Go forward ten meters.';
const MIC_VOICE = 'flite-rms';
/** Chromium's fake capture device runs at 48 kHz; the file is given at that rate. */
const MIC_RATE_HZ = 48_000;
/** Silence around the sentence: the VAD needs a quiet start and an end of turn (its 500 ms default). */
const LEAD_SILENCE_MS = 500;
const TAIL_SILENCE_MS = 2500;
/** Generous: a loaded 2-core machine runs the server, PocketSphinx and Chromium at once. */
const WAIT_MS = 60_000;
const SCREENSHOTS = process.env.LLAIS_PLAYGROUND_SCREENSHOTS;

/** A WAV at 48 kHz of s16le 24 kHz speech (linearly interpolated) and silences (numbers, in ms). */
function micWav(parts: Array<Int16Array | number>): Buffer {
  const pieces = parts.map((part) => {
    if (typeof part === 'number') return new Int16Array((part * MIC_RATE_HZ) / 1000);
    const up = new Int16Array(part.length * 2);
    for (let i = 0; i < part.length; i++) {
      const a = part[i]!;
      up[2 * i] = a;
      up[2 * i + 1] = (a + (part[i + 1] ?? a)) >> 1;
    }
    return up;
  });
  const bytes = pieces.reduce((n, p) => n + p.byteLength, 0);
  const header = Buffer.alloc(44);
  header.write('RIFF', 0);
  header.writeUInt32LE(36 + bytes, 4);
  header.write('WAVEfmt ', 8);
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(MIC_RATE_HZ, 24);
  header.writeUInt32LE(MIC_RATE_HZ * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36);
  header.writeUInt32LE(bytes, 40);
  return Buffer.concat([header, ...pieces.map((p) => Buffer.from(p.buffer))]);
}

/** Chromium with a fake microphone that plays `wavPath` (looped), and autoplay allowed. */
function launch(wavPath: string): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream',
      `--use-file-for-fake-audio-capture=${wavPath}`,
      '--autoplay-policy=no-user-gesture-required',
    ],
  });
}

/**
 * A fresh page at `/#tab`. Requests to another origin are refused and recorded in `foreign`, and
 * so are the page's Content-Security-Policy violations (the browser blocks those before any
 * request is made, so route interception alone would never see them).
 */
async function openPage(browser: Browser, url: string, tab: string, foreign: string[]): Promise<Page> {
  const origin = new URL(url).origin;
  const page = await browser.newPage({ viewport: { width: 1100, height: 760 } });
  page.on('websocket', (ws) => {
    if (new URL(ws.url()).host !== new URL(origin).host) foreign.push(ws.url());
  });
  page.on('console', (msg) => {
    if (/Content Security Policy/i.test(msg.text())) foreign.push(msg.text());
  });
  await page.route('**/*', (route) => {
    if (new URL(route.request().url()).origin === origin) return route.continue();
    foreign.push(route.request().url());
    return route.abort('blockedbyclient');
  });
  await page.goto(`${url}/#${tab}`);
  return page;
}

async function speechPcm(app: App, text: string, voice: string, key?: string): Promise<Int16Array> {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) };
  const res = await fetch(`${app.url}/v1/audio/speech`, { method: 'POST', headers, body: JSON.stringify({ model: 'tts-1', voice, input: text, response_format: 'pcm' }) });
  assert.equal(res.status, 200);
  const bytes = new Uint8Array(await res.arrayBuffer());
  return new Int16Array(bytes.buffer, 0, bytes.length >> 1);
}

async function screenshot(page: Page, tab: string): Promise<void> {
  if (SCREENSHOTS) await page.screenshot({ path: join(SCREENSHOTS, `playground-${tab}.png`) });
}

function wer(hypothesis: string): number {
  return corpusWer([{ reference: SENTENCE, hypothesis }]);
}

describe('the playground files over HTTP', () => {
  let app: App;
  before(async () => {
    // Keys required: the page and its files must still open without one, like /docs.
    app = await startTestApp({ auth: 'keys' });
  });
  after(() => app.close());

  it('serves / and every file it loads, transitively, from this server with a same-origin CSP and no key', async () => {
    const seen = new Set<string>();
    const queue = ['/'];
    while (queue.length > 0) {
      const path = queue.shift()!;
      if (seen.has(path)) continue;
      seen.add(path);
      const res = await fetch(`${app.url}${path}`);
      assert.equal(res.status, 200, path);
      const csp = res.headers.get('content-security-policy') ?? '';
      assert.match(csp, /default-src 'self'/, path);
      assert.doesNotMatch(csp, /https?:|\*/, `${path}: the CSP names no other origin`);
      const body = await res.text();
      const type = res.headers.get('content-type') ?? '';
      if (path.endsWith('.css')) assert.match(type, /^text\/css/);
      else if (path !== '/') assert.match(type, /^text\/javascript/, path);
      assert.doesNotMatch(body, /https?:\/\/(?!127\.0\.0\.1)/, `${path} names no outside URL`);
      // Everything the page loads: src/href attributes, module imports, the worklet.
      for (const m of body.matchAll(/(?:src|href)="(\/[^"]*)"|from '\.\/([^']+)'|addModule\('([^']+)'\)/g)) {
        const next = m[1] ?? (m[2] ? `/playground/${m[2]}` : m[3]!);
        if (!next.startsWith('/docs')) queue.push(next);
      }
    }
    for (const file of ['main.js', 'api.js', 'pcm-player.js', 'mic.js', 'mic-worklet.js', 'speak.js', 'transcribe.js', 'live.js', 'playground.css']) assert.ok(seen.has(`/playground/${file}`), file);
  });

  it('answers 404 in the error envelope for a file it does not have, and for paths outside the folder', async () => {
    for (const path of ['/playground/nope.js', '/playground/index.ts', '/playground/..%2Fpackage.json', '/playground/.env']) {
      const res = await fetch(`${app.url}${path}`);
      assert.equal(res.status, 404, path);
      assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'not_found', path);
    }
  });
});

describe('the playground in headless Chromium', { skip: SKIP }, () => {
  let app: App;
  let browser: Browser;
  let wavPath: string;
  let sentencePcm: Int16Array;
  /** Requests (and WebSockets) to anywhere but this server: each one fails the test. */
  const foreign: string[] = [];

  before(async () => {
    app = await startTestApp();
    wavPath = join(await tempDir(), 'mic.wav');
    sentencePcm = await speechPcm(app, SENTENCE, MIC_VOICE);
    await writeFile(wavPath, micWav([LEAD_SILENCE_MS, sentencePcm, TAIL_SILENCE_MS]));
    browser = await launch(wavPath);
  });

  after(async () => {
    await browser?.close();
    await app?.close();
  });

  const open = (tab: string): Promise<Page> => openPage(browser, app.url, tab, foreign);

  it('Speak streams SSE audio into Web Audio: audio plays, the time to first audio and the words show', async () => {
    const page = await open('speak');
    await page.waitForFunction(() => document.querySelectorAll('#speak-voice option').length > 0, null, { timeout: WAIT_MS });
    await page.selectOption('#speak-model', 'espeak');
    await page.waitForFunction(() => [...document.querySelectorAll<HTMLOptionElement>('#speak-voice option')].some((o) => o.value === 'en-us'), null, { timeout: WAIT_MS });
    await page.selectOption('#speak-voice', 'en-us');
    await page.fill('#speak-text', 'The quick brown fox jumps over the lazy dog.');
    await page.click('#speak-go');
    await page.waitForFunction(() => {
      const s = (window as any).llaisPlayground.speak;
      return s.error !== null || (s.done && s.samplesPlayed > 0);
    }, null, { timeout: WAIT_MS });
    const s = await page.evaluate(() => (window as any).llaisPlayground.speak);
    assert.equal(s.error, null);
    assert.ok(s.firstAudioMs > 0, `firstAudioMs ${s.firstAudioMs}`);
    assert.ok(s.samplesPlayed > 0);
    assert.deepEqual(s.words.map((w: string) => w.toLowerCase().replace(/\W/g, '')), 'the quick brown fox jumps over the lazy dog'.split(' '));
    assert.match(await page.textContent('#speak-status') ?? '', /First audio after \d+ ms/);
    assert.equal(await page.locator('#speak-words span').count(), 9);
    await screenshot(page, 'speak');
    // Every sample that arrived is played, none dropped: ~2.5 s of speech at 24 kHz.
    await page.waitForFunction(() => {
      const s = (window as any).llaisPlayground.speak;
      return s.samplesPlayed === s.samplesReceived;
    }, null, { timeout: WAIT_MS });
    const played = await page.evaluate(() => (window as any).llaisPlayground.speak.samplesPlayed);
    assert.ok(played > 1.5 * 24_000, `${played} samples played`);
    await page.close();
  });

  it('Speak downloads the whole file from /v1/audio/speech in the chosen format', async () => {
    const page = await open('speak');
    await page.waitForFunction(() => document.querySelectorAll('#speak-voice option').length > 0, null, { timeout: WAIT_MS });
    await page.selectOption('#speak-format', 'wav');
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: WAIT_MS }), page.click('#speak-download')]);
    assert.equal(download.suggestedFilename(), 'llais-speech.wav');
    const path = await download.path();
    const bytes = await readFile(path);
    assert.equal(bytes.subarray(0, 4).toString(), 'RIFF');
    assert.ok(bytes.length > 24000, `${bytes.length} bytes`);
    await page.close();
  });

  it('Transcribe: an uploaded file comes back as text with word timings', async () => {
    const page = await open('transcribe');
    await page.setInputFiles('#stt-file', wavPath);
    await page.waitForFunction(() => (window as any).llaisPlayground.transcribe.text !== null || (window as any).llaisPlayground.transcribe.error !== null, null, { timeout: WAIT_MS });
    const t = await page.evaluate(() => (window as any).llaisPlayground.transcribe);
    assert.equal(t.error, null);
    assert.ok(wer(t.text) <= 0.5, `heard '${t.text}'`);
    assert.ok(t.words.length > 0 && t.words.every((w: { start: number; end: number }) => w.end >= w.start), JSON.stringify(t.words));
    assert.equal(await page.locator('#stt-words tbody tr').count(), t.words.length);
    assert.match((await page.textContent('#stt-text')) ?? '', /forward/i);
    await screenshot(page, 'transcribe');
    await page.close();
  });

  it('Transcribe: the microphone is recorded, sent as WAV and transcribed', async () => {
    const page = await open('transcribe');
    await page.click('#stt-record');
    // Twice the looped file: whatever point of the loop recording starts at, one whole sentence is in.
    const needMs = 2 * (LEAD_SILENCE_MS + TAIL_SILENCE_MS + sentencePcm.length / 24);
    await page.waitForFunction((ms) => (window as any).llaisPlayground.transcribe.recordedMs >= ms, needMs, { timeout: WAIT_MS });
    await page.click('#stt-stop');
    await page.waitForFunction(() => (window as any).llaisPlayground.transcribe.text !== null || (window as any).llaisPlayground.transcribe.error !== null, null, { timeout: WAIT_MS });
    const t = await page.evaluate(() => (window as any).llaisPlayground.transcribe);
    assert.equal(t.error, null);
    assert.match(t.text, /forward/i, `heard '${t.text}'`);
    await page.close();
  });

  it('Live: fake-mic speech over /v1/realtime is transcribed and the echo reply plays', async () => {
    const page = await open('live');
    await page.click('#live-start');
    // The fake microphone loops its file from wherever it is, so the first turn heard may be the
    // tail of the sentence, and on a starved machine Chromium's fake capture can garble one turn
    // ('go forward to and majors', once in CI): the test waits for a turn heard whole, as the loop
    // keeps saying it.
    let s: { error: unknown; replyTranscripts: string[]; userTranscripts: string[]; samplesPlayed: number };
    let reply: string | undefined;
    for (const deadline = Date.now() + WAIT_MS; ; await new Promise((r) => setTimeout(r, 100))) {
      s = await page.evaluate(() => (window as any).llaisPlayground.live);
      reply = s.replyTranscripts.find((t) => /forward/i.test(t) && wer(t) <= 0.5);
      if (s.error !== null || (reply !== undefined && s.samplesPlayed > 0) || Date.now() > deadline) break;
    }
    assert.equal(s.error, null);
    assert.ok(reply !== undefined, `no reply within WER 0.5 of '${SENTENCE}': ${JSON.stringify(s.replyTranscripts)}`);
    // The built-in responder says back what it heard.
    assert.ok(s.userTranscripts.includes(reply), `${JSON.stringify(s.userTranscripts)} / '${reply}'`);
    assert.ok(s.samplesPlayed > 0);
    assert.ok((await page.locator('#live-log .user').allTextContents()).includes(reply), 'the transcript is shown');
    // The looping microphone's next turn may barge in on the reply, which the page marks with ' …'.
    const shown = (await page.locator('#live-log .assistant').allTextContents()).map((t) => t.replace(/ …$/, ''));
    assert.ok(shown.includes(reply), `the reply is shown as it is spoken: ${JSON.stringify(shown)}`);
    await screenshot(page, 'live');
    await page.click('#live-stop');
    await page.close();
  });

  it('the page requested nothing from any other origin', () => {
    assert.deepEqual(foreign, []);
  });
});

describe('the Live tab barges in (keys required: the key typed into the page)', { skip: SKIP }, () => {
  let app: App;
  let browser: Browser;
  let key: string;
  const foreign: string[] = [];
  /** Long enough that its echo is still playing when the second utterance starts. */
  const LONG = 'This is the first sentence of a long answer. Here is a second sentence that goes on for a while. A third sentence keeps the voice busy.';
  /** From the end of the long utterance to the next: the echo starts well within it. */
  const GAP_MS = 4000;

  before(async () => {
    app = await startTestApp({ auth: 'keys' });
    const { accounts, keys, ledger } = app.context.accounts;
    await accounts.ensure('player', 'pro');
    await ledger.grant('player', 10_000, 'test');
    key = generateApiKey();
    await keys.add('player', key);
    const wavPath = join(await tempDir(), 'barge-in.wav');
    await writeFile(wavPath, micWav([LEAD_SILENCE_MS, await speechPcm(app, LONG, MIC_VOICE, key), GAP_MS, await speechPcm(app, SENTENCE, MIC_VOICE, key), TAIL_SILENCE_MS]));
    browser = await launch(wavPath);
  });

  after(async () => {
    await browser?.close();
    await app?.close();
  });

  it('new speech during the reply stops its playback, truncates it to what was heard, and the next turn runs', async () => {
    const page = await openPage(browser, app.url, 'live', foreign);
    // Without the key the server refuses the session.
    await page.click('#live-start');
    await page.waitForFunction(() => /closed|connect/i.test(document.getElementById('live-status')!.textContent ?? ''), null, { timeout: WAIT_MS });
    assert.equal(await page.evaluate(() => (window as any).llaisPlayground.live.userTranscripts.length), 0);
    await page.fill('#api-key', key);
    await page.dispatchEvent('#api-key', 'change');
    await page.click('#live-start');
    await page.waitForFunction(() => {
      const s = (window as any).llaisPlayground.live;
      return s.error !== null || (s.bargeIns > 0 && s.userTranscripts.some((t: string) => /forward/i.test(t)));
    }, null, { timeout: WAIT_MS });
    const s = await page.evaluate(() => (window as any).llaisPlayground.live);
    assert.equal(s.error, null);
    assert.ok(s.samplesPlayed > 0);
    // The page's truncate names what it really played: more than nothing, less than the whole echo.
    const mine = s.truncations.at(-1);
    assert.ok(mine && mine.audioEndMs > 0, JSON.stringify(s.truncations));
    // The fake microphone starts its loop anywhere, so the first reply may be a whole one (to the
    // short sentence): the interrupted one is whichever was cut.
    const replies = await page.locator('#live-log .assistant').allTextContents();
    assert.ok(replies.some((t) => / …$/.test(t)), `the interrupted reply is marked: ${JSON.stringify(replies)}`);
    await page.click('#live-stop');
    await page.close();
    assert.deepEqual(foreign, []);
  });
});
