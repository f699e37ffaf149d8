/**
 * `POST /v1/audio/enhance/`, `/separate/`, `/dereverb/` and `GET /v1/audio/jobs/{id}` over HTTP
 * against one real server, on audio whose truth the test knows: the server's own TTS speech with
 * white and babble noise at 5 dB SNR (enhance must raise the SNR by ≥ 6 dB), a stereo mix of a
 * centred voice and side-panned instruments (each stem closer to its source than the mix), a voice
 * with an echo; results as files and URLs (Range, zip), async jobs with progress, a client that
 * leaves, and a 4xx table of bad input for every audio tool, convert and analyze included.
 */
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { unzipSync } from 'fflate';

import { separateResultResponse, toolJobResponse, toolResultResponse } from '../src/api/schemas/audio-tools.js';
import type { App } from '../src/app.js';
import { LoudnessMeter } from '../src/audio/dsp/loudness.js';
import { generateApiKey } from '../src/accounts/api-key.js';
import { startTestApp } from './helpers/app.js';
import { ffmpegChildren } from './helpers/processes.js';
import { db, energy, pluckedLoop, random, sdr, speechLike } from './helpers/tool-signals.js';
import { toolWav as wav } from './helpers/tool-wav.js';

const TTS_RATE = 24_000;
const MAX_SEC = 30;


/** The channels of a 16-bit PCM WAV the server wrote (44-byte header: written bit-exact). */
function unwav(bytes: Uint8Array): { channels: Float32Array[]; rate: number } {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  assert.equal(new TextDecoder().decode(bytes.subarray(36, 40)), 'data');
  const count = v.getUint16(22, true);
  const rate = v.getUint32(24, true);
  const frames = Math.floor(v.getUint32(40, true) / (2 * count));
  const channels = Array.from({ length: count }, () => new Float32Array(frames));
  for (let i = 0; i < frames; i++) for (let c = 0; c < count; c++) channels[c]![i] = v.getInt16(44 + (i * count + c) * 2, true) / 32768;
  return { channels, rate };
}

function form(file: Uint8Array | undefined, fields: Record<string, string> = {}): FormData {
  const fd = new FormData();
  for (const [k, v] of Object.entries(fields)) fd.append(k, v);
  if (file) fd.append('file', new Blob([new Uint8Array(file)]), 'audio.wav');
  return fd;
}

describe('audio tools: enhance, separate, dereverb', () => {
  let app: App;
  let speech: Float32Array;
  let babble: Float32Array;

  const tts = async (input: string): Promise<Float32Array> => {
    const res = await fetch(`${app.url}/v1/audio/speech`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'tts-1', voice: 'alloy', input, response_format: 'pcm' }) });
    assert.equal(res.status, 200);
    const pcm = new Int16Array(await res.arrayBuffer());
    return Float32Array.from(pcm, (s) => s / 32768);
  };
  const post = (tool: string, file: Uint8Array | undefined, fields: Record<string, string> = {}, headers: Record<string, string> = {}): Promise<Response> =>
    // Bounded: a request the server never answers fails here, not after undici's 300 s.
    fetch(`${app.url}/v1/audio/${tool}/`, { method: 'POST', body: form(file, fields), headers, signal: AbortSignal.timeout(60_000) });

  before(async () => {
    app = await startTestApp({ audioToolsMaxDurationSec: MAX_SEC });
    speech = await tts('The birch canoe slid on the smooth planks. Glue the sheet to the dark blue background.');
    // Babble, as in a canteen: two dozen talkers at once (four sentences, each read at six pitches
    // by resampling, from different starts).
    const talkers = await Promise.all(['It is easy to tell the depth of a well.', 'These days a chicken leg is a rare dish.', 'Rice is often served in round bowls.', 'The juice of lemons makes fine punch.'].map(tts));
    babble = new Float32Array(speech.length);
    talkers.forEach((t, n) => {
      [0.7, 0.8, 0.9, 1.1, 1.2, 1.3].forEach((rate, r) => {
        for (let i = 0; i < babble.length; i++) {
          const at = (i * rate + (n * 6 + r) * 5003) % (t.length - 1);
          const j = Math.floor(at);
          babble[i] = babble[i]! + t[j]! + (t[j + 1]! - t[j]!) * (at - j);
        }
      });
    });
  });
  after(() => app.close());

  /**
   * Enhance's output SNR by the phase-inversion method (Hagerman & Olofsson 2004, the standard for
   * non-linear noise reduction): speech+noise and speech−noise go through the same processing, half
   * their sum is what became of the speech, half their difference what became of the noise.
   */
  const enhanceSnr = async (noise: Float32Array, fields: Record<string, string> = {}): Promise<{ before: number; after: number; sdrBefore: number; sdrAfter: number }> => {
    const g = Math.sqrt(energy(speech) / energy(noise) / 10 ** (5 / 10));
    const plus = speech.map((v, i) => v + g * noise[i]!);
    const minus = speech.map((v, i) => v - g * noise[i]!);
    const outs = await Promise.all(
      [plus, minus].map(async (x) => {
        const res = await post('enhance', wav([x], TTS_RATE), { enhance_clarity: 'false', ...fields });
        assert.equal(res.status, 200, await res.clone().text());
        assert.equal(res.headers.get('content-type'), 'audio/wav');
        assert.match(res.headers.get('x-result-url') ?? '', /\/static\/downloads\/[0-9a-f]{32}\/output\.wav$/);
        const { channels, rate } = unwav(new Uint8Array(await res.arrayBuffer()));
        assert.equal(rate, TTS_RATE, "the source's rate comes back");
        assert.ok(Math.abs(channels[0]!.length - speech.length) <= 2, `${channels[0]!.length} vs ${speech.length}`);
        return channels[0]!;
      }),
    );
    const [a, b] = outs as [Float32Array, Float32Array];
    const speechOut = a.map((v, i) => (v + b[i]!) / 2);
    const noiseOut = a.map((v, i) => (v - b[i]!) / 2);
    return { before: db(energy(speech) / (g * g * energy(noise))), after: db(energy(speechOut) / energy(noiseOut)), sdrBefore: sdr(speech, plus), sdrAfter: sdr(speech, a) };
  };

  it('enhance raises the SNR of speech in white noise at 5 dB by at least 6 dB', async () => {
    const rnd = random(21);
    const r = await enhanceSnr(Float32Array.from(speech, () => rnd() * 2 - 1));
    console.log(`enhance, white noise: SNR ${r.before.toFixed(1)} -> ${r.after.toFixed(1)} dB (SDR against the clean speech ${r.sdrBefore.toFixed(1)} -> ${r.sdrAfter.toFixed(1)} dB)`);
    assert.ok(r.after >= r.before + 6, `${r.before} -> ${r.after}`);
    assert.ok(r.sdrAfter >= r.sdrBefore + 6, `SDR ${r.sdrBefore} -> ${r.sdrAfter}`);
  });

  it('enhance strength=3 raises the SNR of speech in babble noise at 5 dB by at least 6 dB (and in white noise)', async () => {
    const r = await enhanceSnr(babble, { strength: '3' });
    console.log(`enhance strength 3, babble noise: SNR ${r.before.toFixed(1)} -> ${r.after.toFixed(1)} dB (SDR against the clean speech ${r.sdrBefore.toFixed(1)} -> ${r.sdrAfter.toFixed(1)} dB)`);
    assert.ok(r.after >= r.before + 6, `${r.before} -> ${r.after}`);
    const rnd = random(22);
    const w = await enhanceSnr(Float32Array.from(speech, () => rnd() * 2 - 1), { strength: '3' });
    console.log(`enhance strength 3, white noise: SNR ${w.before.toFixed(1)} -> ${w.after.toFixed(1)} dB (SDR ${w.sdrBefore.toFixed(1)} -> ${w.sdrAfter.toFixed(1)} dB)`);
    assert.ok(w.after >= w.before + 6, `${w.before} -> ${w.after}`);
  });

  it('enhance at the default strength: babble SNR up by 4 dB or more, clean speech nearly unchanged (strength 3 is the one for babble, see docs/audio-tools.md)', async () => {
    const r = await enhanceSnr(babble);
    console.log(`enhance, babble noise: SNR ${r.before.toFixed(1)} -> ${r.after.toFixed(1)} dB (SDR against the clean speech ${r.sdrBefore.toFixed(1)} -> ${r.sdrAfter.toFixed(1)} dB)`);
    assert.ok(r.after >= r.before + 4, `${r.before} -> ${r.after}`);
    const res = await post('enhance', wav([speech], TTS_RATE), { enhance_clarity: 'false' });
    assert.equal(res.status, 200);
    const clean = unwav(new Uint8Array(await res.arrayBuffer())).channels[0]!;
    const cleanSdr = sdr(speech, clean);
    console.log(`enhance, clean speech: SDR ${cleanSdr.toFixed(1)} dB`);
    assert.ok(cleanSdr >= 12, `clean speech SDR ${cleanSdr}`);
  });

  it('enhance normalises loudness to -16 LUFS with clarity on; JSON answer with a downloadable, Range-able result', async () => {
    const quiet = speech.map((v) => v * 0.1);
    const res = await post('enhance', wav([quiet], TTS_RATE), { strength: '1' }, { accept: 'application/json' });
    assert.equal(res.status, 200);
    const body = toolResultResponse.parse(await res.json());
    assert.ok(body.credits_used >= 1);
    const file = await fetch(body.result_url);
    assert.equal(file.status, 200);
    const { channels, rate } = unwav(new Uint8Array(await file.arrayBuffer()));
    const meter = new LoudnessMeter(rate, 1);
    meter.push(channels);
    let peak = 0;
    for (const v of channels[0]!) peak = Math.max(peak, Math.abs(v));
    console.log(`enhance loudness: ${meter.integrated().toFixed(1)} LUFS, peak ${(20 * Math.log10(peak)).toFixed(1)} dBFS`);
    // At the target, unless the peak guard (-0.2 dBFS) held it lower.
    assert.ok(Math.abs(meter.integrated() + 16) < 1 || peak > 0.95, `${meter.integrated()} LUFS, peak ${peak}`);
    const part = await fetch(body.result_url, { headers: { range: 'bytes=0-99' } });
    assert.equal(part.status, 206);
    assert.equal((await part.arrayBuffer()).byteLength, 100);
  });

  it('separate: a centred voice and side-panned instruments come apart (zip of stems, and URLs as JSON)', async () => {
    const rate = 44_100;
    const voice = speechLike(rate, 3, 31).signal;
    const guitar = pluckedLoop(rate, 3, [196, 247, 294], 0.5, 0.05);
    const keys = pluckedLoop(rate, 3, [330, 392, 440], 0.375, 0.05);
    const left = voice.map((v, i) => v + 0.9 * guitar[i]! + 0.25 * keys[i]!);
    const right = voice.map((v, i) => v + 0.25 * guitar[i]! + 0.9 * keys[i]!);
    const upload = wav([left, right], rate);
    const res = await post('separate', upload);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/zip');
    const files = unzipSync(new Uint8Array(await res.arrayBuffer()));
    assert.deepEqual(Object.keys(files).sort(), ['accompaniment.wav', 'vocals.wav']);
    const vocals = unwav(files['vocals.wav']!).channels;
    const acc = unwav(files['accompaniment.wav']!).channels;
    const mid = (a: Float32Array, b: Float32Array): Float32Array => a.map((v, i) => (v + b[i]!) / 2);
    const accLeft = guitar.map((g, i) => 0.9 * g + 0.25 * keys[i]!);
    const vocalsGain = sdr(voice, mid(vocals[0]!, vocals[1]!)) - sdr(voice, mid(left, right));
    const accGain = sdr(accLeft, acc[0]!) - sdr(accLeft, left);
    console.log(`separate over HTTP, SDR gain: vocals +${vocalsGain.toFixed(1)} dB, accompaniment +${accGain.toFixed(1)} dB`);
    assert.ok(vocalsGain > 6 && accGain > 3, `${vocalsGain}, ${accGain}`);

    const json = await post('separate', upload, { format: 'flac' }, { accept: 'application/json' });
    const body = separateResultResponse.parse(await json.json());
    assert.deepEqual(Object.keys(body.stems).sort(), ['accompaniment', 'vocals']);
    for (const url of Object.values(body.stems)) {
      const stem = await fetch(url);
      assert.equal(stem.status, 200);
      assert.equal(stem.headers.get('content-type'), 'audio/flac');
      assert.equal(new TextDecoder().decode(new Uint8Array(await stem.arrayBuffer()).subarray(0, 4)), 'fLaC');
    }
  });

  it('dereverb type=echo cancels a 120 ms echo in speech', async () => {
    const d = Math.round(0.12 * TTS_RATE);
    const echoed = speech.map((v, i) => v + (i >= d ? 0.5 * speech[i - d]! : 0));
    const res = await post('dereverb', wav([echoed], TTS_RATE), { type: 'echo', intensity: '4' });
    assert.equal(res.status, 200);
    const out = unwav(new Uint8Array(await res.arrayBuffer())).channels[0]!;
    const before = sdr(speech, echoed);
    const after = sdr(speech, out);
    console.log(`dereverb echo over HTTP: SDR ${before.toFixed(1)} -> ${after.toFixed(1)} dB`);
    assert.ok(after > before + 8, `${before} -> ${after}`);
  });

  it('async=true answers 202 with a job whose poll shows progress, then the result', async () => {
    const res = await post('dereverb', wav([speech, speech], TTS_RATE), { async: 'true' });
    assert.equal(res.status, 202);
    const accepted = (await res.json()) as { job_id: string; status_url: string };
    let job = toolJobResponse.parse(await (await fetch(accepted.status_url)).json());
    for (let i = 0; i < 200 && job.status === 'processing'; i++) {
      assert.ok(job.progress >= 0 && job.progress < 1);
      await delay(50);
      job = toolJobResponse.parse(await (await fetch(accepted.status_url)).json());
    }
    assert.equal(job.status, 'completed', JSON.stringify(job));
    assert.equal(job.progress, 1);
    const result = toolResultResponse.parse(job.result);
    assert.equal((await fetch(result.result_url)).status, 200);
    assert.equal((await fetch(`${app.url}/v1/audio/jobs/atj_nope`)).status, 404);
  });

  it('a client that leaves stops the work: no ffmpeg left, the work folder removed, no result', async () => {
    const rate = 44_100;
    const long = pluckedLoop(rate, MAX_SEC - 1, [220, 277, 330], 0.3, 0.2);
    const work = join(app.config.dataDir, 'audio-tools');
    const completedBefore = (await app.context.jobs.countByStatus('completed'));
    const client = new AbortController();
    const pending = fetch(`${app.url}/v1/audio/separate/`, { method: 'POST', body: form(wav([long, long.map((v) => -v * 0.5)], rate)), signal: client.signal }).catch(() => undefined);
    // Leave once the work has started (its folder exists).
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline && (await readdir(work).catch(() => [])).length === 0) await delay(10);
    assert.ok((await readdir(work)).length > 0, 'the work started');
    client.abort();
    void pending;
    const gone = Date.now() + 10_000;
    while (Date.now() < gone && ((await readdir(work)).length > 0 || (await ffmpegChildren()).length > 0)) await delay(20);
    assert.deepEqual(await readdir(work), []);
    assert.deepEqual(await ffmpegChildren(), []);
    assert.equal((await app.context.jobs.countByStatus('completed')), completedBefore);
    await pending;
  });

  describe('bad input: a clear 4xx in the error envelope, for every audio tool', () => {
    const second = wav([new Float32Array(TTS_RATE)], TTS_RATE);
    const tooLong = wav([new Float32Array(8000 * (MAX_SEC + 1))], 8000);
    const cases: Array<[tool: string, file: Uint8Array | undefined, fields: Record<string, string>, status: number, code: string]> = [
      ['enhance', undefined, {}, 400, 'missing_required_parameter'],
      ['enhance', second, { strength: '4' }, 400, 'invalid_value'],
      ['enhance', second, { denoise: 'maybe' }, 400, 'invalid_value'],
      ['enhance', second, { denoise: 'false', enhance_clarity: 'false' }, 400, 'conflicting_parameters'],
      ['enhance', second, { format: 'ogg' }, 400, 'invalid_value'],
      ['enhance', new TextEncoder().encode('this is not audio at all, just words'), {}, 415, 'unsupported_media_type'],
      ['enhance', new Uint8Array(0), {}, 422, 'unprocessable_audio'],
      ['enhance', tooLong, {}, 413, 'audio_too_long'],
      ['dereverb', second, { type: 'room' }, 400, 'invalid_value'],
      ['dereverb', second, { intensity: '0' }, 400, 'invalid_value'],
      ['dereverb', second, { async: 'soon' }, 400, 'invalid_value'],
      ['dereverb', undefined, {}, 400, 'missing_required_parameter'],
      ['dereverb', tooLong, {}, 413, 'audio_too_long'],
      ['separate', second, { stems: '3' }, 400, 'invalid_value'],
      ['separate', second, { model: 'unmix' }, 400, 'invalid_value'],
      ['separate', second, { stems: '5', model: 'demucs' }, 400, 'invalid_value'],
      ['separate', second, { stems: '4' }, 424, 'model_not_installed'],
      ['separate', second, { stems: '5', model: 'spleeter' }, 424, 'model_not_installed'],
      ['separate', new TextEncoder().encode('RIFF....WAVEfmt broken'), {}, 422, 'unprocessable_audio'],
      ['separate', Uint8Array.from({ length: 4096 }, (_, i) => (i * 7919) % 251), {}, 415, 'unsupported_media_type'],
      ['enhance', second, { super_resolution: 'true', denoise: 'false', enhance_clarity: 'false' }, 200, ''],
      ['separate', tooLong, {}, 413, 'audio_too_long'],
      ['convert', tooLong, {}, 413, 'audio_too_long'],
      ['convert', second, { format: 'xyz' }, 400, 'invalid_value'],
      ['analyze', tooLong, {}, 413, 'audio_too_long'],
      ['analyze', undefined, {}, 400, 'missing_required_parameter'],
    ];
    for (const [tool, file, fields, status, code] of cases) {
      it(`${tool} ${JSON.stringify(fields)}${file === undefined ? ' without a file' : file === tooLong ? ' too long' : ''} -> ${status} ${code}`, async () => {
        const res = await post(tool, file, fields);
        assert.equal(res.status, status);
        // Fields that join others are judged on the whole form, whatever their order.
        if (status === 200) return void (await res.arrayBuffer());
        const body = (await res.json()) as { error: { code: string; message: string } };
        assert.equal(body.error.code, code);
        assert.ok(body.error.message.length > 10);
      });
    }
    it('424 for more stems names the install command', async () => {
      const res = await post('separate', second, { stems: '6' });
      assert.match(((await res.json()) as { error: { message: string } }).error.message, /llais models pull htdemucs_6s/);
    });
  });
});

describe('audio tools are billed per audio minute (API.md: enhance 2, separation 3 for 2 stems)', () => {
  let app: App;
  before(async () => {
    app = await startTestApp();
  });
  after(() => app.close());

  const keyFor = (id: string, credits: number): string => {
    const { accounts, keys, ledger } = app.context.accounts;
    accounts.ensure(id, 'pro');
    if (credits !== 0) ledger.grant(id, credits, 'test');
    const key = generateApiKey();
    keys.add(id, key);
    return key;
  };
  const call = (tool: string, key: string, seconds: number, headers: Record<string, string> = {}): Promise<Response> =>
    fetch(`${app.url}/v1/audio/${tool}/`, { method: 'POST', headers: { authorization: `Bearer ${key}`, ...headers }, body: form(wav([pluckedLoop(8000, seconds, [220], 0.5)], 8000)) });

  it('charges ceil(minutes × rate) and answers 402 when the balance cannot cover it', async () => {
    const key = keyFor('tools', 10);
    // 25 s: 0.42 min × 2 = 0.83 -> 1 credit for enhance; × 3 = 1.25 -> 2 for separate.
    const enhanced = await call('enhance', key, 25);
    assert.equal(enhanced.status, 200);
    assert.equal(enhanced.headers.get('x-credits-used'), '1');
    await enhanced.arrayBuffer();
    const separated = await call('separate', key, 25, { accept: 'application/json' });
    const body = separateResultResponse.parse(await separated.json());
    assert.deepEqual([body.credits_used, body.credits_remaining], [2, 7]);
    assert.equal((await app.context.accounts.ledger.balance('tools')), 7);
    const poor = keyFor('poor', 1);
    const refused = await call('separate', poor, 25);
    assert.equal(refused.status, 402);
    assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'insufficient_credits');
    assert.equal((await app.context.accounts.ledger.balance('poor')), 1);
    const metrics = await (await fetch(`${app.url}/metrics`)).text();
    assert.match(metrics, /^llais_credits_spent_total\{service="audio_tools"\} 3$/m);
  });
});
