import assert from 'node:assert/strict';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { App } from '../src/app.js';
import { decodeToPcm } from '../src/audio/decode.js';
import { pcmFromBytes, plausibleSpeechSeconds, rms } from './helpers/audio.js';
import { startTestApp, tempDir } from './helpers/app.js';
import { linkPicoLingware } from './helpers/pico.js';

interface VoiceOut { id: string; name: string; model: string; language: string; gender: string; preview_url: string | null }
interface ModelOut { id: string; installed: boolean; loaded: boolean; tier: string; credits_per_1k_chars: number; languages: string[]; install_hint?: string }

describe('platform endpoints', () => {
  let app: App;
  /** Where Pico's lingware came from, when this machine has it (see helpers/pico.ts). */
  let picoDir: string | undefined;
  before(async () => {
    const dataDir = await tempDir();
    picoDir = linkPicoLingware(join(dataDir, 'models'));
    app = await startTestApp({ dataDir });
  });
  after(() => app.close());

  it('GET /v1/health/ reports online with a measured latency', async () => {
    const res = await fetch(`${app.url}/v1/health/`);
    assert.equal(res.status, 200);
    const body = (await res.json()) as { status: string; latency_ms: number; queue_size: number; models_loaded: string[] };
    assert.equal(body.status, 'online');
    assert.ok(Number.isInteger(body.latency_ms) && body.latency_ms >= 0);
    assert.equal(body.queue_size, 0);
    assert.ok(body.models_loaded.includes('espeak'));
    assert.match(res.headers.get('cache-control') ?? '', /max-age=30/);
  });

  it('GET /v1/models/ lists built-ins as installed and loaded, neural models as not installed with a hint', async () => {
    const { models } = (await (await fetch(`${app.url}/v1/models`)).json()) as { models: ModelOut[] };
    const byId = new Map(models.map((m) => [m.id, m]));
    for (const id of ['espeak', 'flite']) {
      assert.equal(byId.get(id)?.installed, true, id);
      assert.equal(byId.get(id)?.loaded, true, id);
    }
    // Pico's lingware is not in npm: with it Pico is installed and loaded (and speaks, below);
    // without it the engine is honestly "not installed" and says how to install it.
    const pico = byId.get('pico');
    assert.deepEqual({ installed: pico?.installed, loaded: pico?.loaded }, { installed: picoDir !== undefined, loaded: picoDir !== undefined });
    if (!picoDir) assert.match(pico?.install_hint ?? '', /libttspico-data/);
    const kokoro = byId.get('kokoro');
    assert.equal(kokoro?.installed, false);
    assert.equal(kokoro?.loaded, false);
    assert.match(kokoro?.install_hint ?? '', /llais models pull kokoro/);
    assert.equal(kokoro?.credits_per_1k_chars, 2);
    assert.ok(byId.get('espeak')!.languages.length >= 100);
  });

  it('a model whose files are present but whose engine this build lacks is installed, not loaded, and a 424 says so', async () => {
    // MeloTTS is catalogued, but no engine for it exists yet.
    const dir = join(app.config.modelsDir, 'melotts');
    await mkdir(dir, { recursive: true });
    for (const file of ['model.onnx', 'tokens.txt', 'lexicon.txt']) await writeFile(join(dir, file), 'x');
    try {
      const { models } = (await (await fetch(`${app.url}/v1/models`)).json()) as { models: ModelOut[] };
      const melotts = models.find((m) => m.id === 'melotts')!;
      assert.equal(melotts.installed, true);
      assert.equal(melotts.loaded, false);
      const res = await fetch(`${app.url}/v1/tts/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'Hi.', voice: 'en-us', model: 'melotts' }) });
      assert.equal(res.status, 424);
      assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'engine_not_available');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('GET /v1/voices/ lists 100+ languages with ids, and filters by model, language and gender', async () => {
    const all = (await (await fetch(`${app.url}/v1/voices/`)).json()) as { voices: VoiceOut[]; total: number };
    assert.equal(all.total, all.voices.length);
    assert.ok(new Set(all.voices.map((v) => v.language)).size >= 100);
    assert.equal(new Set(all.voices.map((v) => v.id)).size, all.voices.length, 'ids are unique');
    const fr = (await (await fetch(`${app.url}/v1/voices/?language=fr`)).json()) as { voices: VoiceOut[] };
    assert.ok(fr.voices.length > 0 && fr.voices.every((v) => v.language.startsWith('fr')));
    const female = (await (await fetch(`${app.url}/v1/voices/?gender=female&model=flite`)).json()) as { voices: VoiceOut[] };
    assert.ok(female.voices.length > 0 && female.voices.every((v) => v.gender === 'female' && v.model === 'flite'));
    const male = (await (await fetch(`${app.url}/v1/voices/?gender=male&language=en-us`)).json()) as { voices: VoiceOut[] };
    assert.ok(male.voices.some((v) => v.model === 'espeak') && male.voices.some((v) => v.model === 'flite'));
    const welsh = all.voices.find((v) => v.language === 'cy')!;
    assert.equal(welsh.preview_url, `${app.url}/v1/voices/preview/cy.mp3`);
    const preview = await fetch(welsh.preview_url!);
    assert.equal(preview.status, 200);
    assert.equal(preview.headers.get('content-type'), 'audio/mpeg');
    const pcm = await decodeToPcm(new Uint8Array(await preview.arrayBuffer()), 24_000);
    assert.ok(pcm.length / 24_000 > 1.5, 'a preview is a sentence or two');
    assert.equal((await fetch(`${app.url}/v1/voices/preview/nobody.mp3`)).status, 404);
    const bad = await fetch(`${app.url}/v1/voices/?gender=robot`);
    assert.equal(bad.status, 400);
    assert.equal(((await bad.json()) as { error: { param: string } }).error.param, 'gender');
  });

  it('every listed English voice of every built-in engine speaks: audible, and as long as the text needs', async () => {
    const { voices } = (await (await fetch(`${app.url}/v1/voices/?language=en`)).json()) as { voices: VoiceOut[] };
    const models = new Set(voices.map((v) => v.model));
    const expected = ['espeak', 'flite', ...(picoDir ? ['pico'] : [])];
    assert.deepEqual([...models].sort(), expected.sort());
    const text = 'Testing one two three.';
    const { min, max } = plausibleSpeechSeconds(text.length);
    for (const v of voices) {
      const res = await fetch(`${app.url}/v1/tts/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text, voice: v.id, format: 'pcm', stream: true }) });
      assert.equal(res.status, 200, v.id);
      const pcm = pcmFromBytes(new Uint8Array(await res.arrayBuffer()));
      const seconds = pcm.length / 24_000;
      assert.ok(seconds > min && seconds < max, `${v.id}: ${seconds.toFixed(2)} s for ${text.length} characters`);
      // Digital silence is 0 and quiet room noise ~30; speech at a normal level is in the thousands.
      assert.ok(rms(pcm) > 300, `${v.id}: rms ${rms(pcm).toFixed(0)} is audible`);
    }
  });
});
