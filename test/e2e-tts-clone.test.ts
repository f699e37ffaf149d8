/**
 * `/v1/tts/clone/` against a real server: text spoken "in" a reference voice (flite-slt raised by
 * 4 semitones, so that no built-in voice is already it; by upload and by embed_id) comes out at
 * the reference's pitch rather than the base voice's,
 * is tagged as synthetic, and is a completed job whose subtitles can be fetched; bad forms get
 * their 4xx.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { App } from '../src/app.js';
import { decodePcmStream } from '../src/audio/decode-stream.js';
import { concatPcm } from '../src/audio/pcm.js';
import { convertVoice, envelopeWarp } from '../src/voice/converter.js';
import { analyzePcm } from '../src/voice/voice-analyzer.js';
import { voiceProfile, type VoiceStats } from '../src/voice/voice-profile.js';
import { startTestApp, tempDir } from './helpers/app.js';
import { speak, wavOf, type Clip } from './helpers/voices.js';

const TEXT = 'It is easy to tell the depth of a well.';

function form(fields: Record<string, string>, reference?: Uint8Array): FormData {
  const fd = new FormData();
  for (const [k, v] of Object.entries(fields)) fd.append(k, v);
  if (reference) fd.append('reference_audio', new Blob([new Uint8Array(reference)]), 'ref.wav');
  return fd;
}

async function statsOf(bytes: Uint8Array): Promise<VoiceStats> {
  const path = join(await tempDir(), 'clone.mp3');
  await writeFile(path, bytes);
  const parts: Int16Array[] = [];
  for await (const pcm of decodePcmStream(path, { sampleRateHz: 16_000 })) parts.push(pcm);
  return voiceProfile(analyzePcm(concatPcm(parts))).stats;
}

describe('voice cloning', () => {
  let app: App;
  let reference: Clip;
  before(async () => {
    app = await startTestApp();
    const slt = await speak(app.url, 'flite-slt', 'The birch canoe slid on the smooth planks. Glue the sheet to the dark blue background.');
    const raised = convertVoice(slt.pcm16k, { pitchShiftSemitones: 4 }).pcm;
    reference = { ...slt, voice: 'flite-slt +4 st', wav: wavOf(raised, 16_000), pcm16k: raised };
  });
  after(() => app.close());

  const clone = (fields: Record<string, string>, ref?: Uint8Array): Promise<Response> => fetch(`${app.url}/v1/tts/clone/`, { method: 'POST', body: form(fields, ref) });

  it('speaks the text near the reference voice, tagged, as a job with subtitles', async () => {
    const res = await clone({ text: TEXT }, reference.wav);
    assert.equal(res.status, 200, await res.clone().text());
    assert.equal(res.headers.get('content-type'), 'audio/mpeg');
    assert.equal(res.headers.get('x-llais-synthetic'), 'true');
    const base = res.headers.get('x-llais-base-voice')!;
    const uuid = res.headers.get('x-job-uuid')!;
    assert.match(uuid, /^[0-9a-f]{32}$/);
    const out = await statsOf(new Uint8Array(await res.arrayBuffer()));
    const ref = voiceProfile(analyzePcm(reference.pcm16k)).stats;
    const baseStats = await statsOf(new Uint8Array(await (await fetch(`${app.url}/v1/audio/speech`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: app.context.tts.findVoice(base)!.model, input: TEXT, voice: base, response_format: 'mp3' }) })).arrayBuffer()));
    const semis = (a: VoiceStats, b: VoiceStats): number => (12 * Math.abs(a.logF0Mean - b.logF0Mean)) / Math.LN2;
    console.log(`base voice ${base}: ${semis(baseStats, ref).toFixed(1)} semitones from the reference, warp ${envelopeWarp(baseStats.envelope, ref.envelope)}; clone: ${semis(out, ref).toFixed(1)} semitones, warp ${envelopeWarp(out.envelope, ref.envelope)}`);
    assert.ok(semis(baseStats, ref) > 3, 'the base voice is not the reference already');
    assert.ok(semis(out, ref) < 1.5, 'clone pitch near the reference');
    const srt = await fetch(`${app.url}/v1/speech/subtitles/?uuid=${uuid}`);
    assert.equal(srt.status, 200, await srt.clone().text());
    assert.match(await srt.text(), /-->/);
  });

  it('clones from a stored voice by embed_id', async () => {
    const embed = await fetch(`${app.url}/v1/voice-embed/`, { method: 'POST', body: (() => { const fd = new FormData(); fd.append('file', new Blob([new Uint8Array(reference.wav)]), 'r.wav'); return fd; })() });
    const { embed_id } = (await embed.json()) as { embed_id: string };
    const res = await clone({ text: TEXT, embed_id, format: 'wav' });
    assert.equal(res.status, 200, await res.clone().text());
    assert.equal(res.headers.get('content-type'), 'audio/wav');
  });

  it('refuses bad forms with a clear 4xx', async () => {
    const cases: Array<[string, Response, number, string]> = [
      ['no text', await clone({}, reference.wav), 400, 'missing_required_parameter'],
      ['no voice', await clone({ text: TEXT }), 400, 'missing_required_parameter'],
      ['both', await clone({ text: TEXT, embed_id: 'emb_x' }, reference.wav), 400, 'conflicting_parameters'],
      ['unknown embed', await clone({ text: TEXT, embed_id: 'emb_000000000000000000000000' }), 404, 'embedding_not_found'],
      ['bad model', await clone({ text: TEXT, model: 'tortoise' }, reference.wav), 400, 'invalid_value'],
    ];
    for (const [name, res, status, code] of cases) assert.deepEqual([res.status, ((await res.json()) as { error: { code: string } }).error.code], [status, code], name);
  });
});
