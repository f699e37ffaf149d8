/**
 * The model catalogue and the built-in engines' voice lists, as `/v1/models/` and
 * `/v1/voices/` will show them.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { isInstalled } from '../src/engines/model-files.js';
import { MODEL_CATALOGUE, type ModelInfo } from '../src/engines/tts/catalogue.js';
import { TtsService } from '../src/tts/service.js';

function model(id: string): ModelInfo {
  const m = MODEL_CATALOGUE.find((x) => x.id === id);
  assert.ok(m, `${id} is catalogued`);
  return m;
}

let modelsDir: string;

before(() => {
  modelsDir = mkdtempSync(join(tmpdir(), 'llais-catalogue-'));
});

after(() => {
  rmSync(modelsDir, { recursive: true, force: true });
});

describe('model catalogue', () => {
  test('ids are unique and every entry follows the credits table', () => {
    const ids = MODEL_CATALOGUE.map((m) => m.id);
    assert.equal(new Set(ids).size, ids.length);
    const rate = { free: 1, standard: 2, premium: 4 } as const;
    for (const m of MODEL_CATALOGUE) {
      assert.equal(m.type, 'tts');
      assert.equal(m.credits_per_1k_chars, rate[m.tier], `${m.id} charges its tier's rate`);
      assert.ok(m.languages.length > 0, `${m.id} lists languages`);
      if (!m.builtin) {
        assert.ok(m.install_hint, `${m.id} says how to install it`);
        assert.ok(m.files && m.files.length > 0, `${m.id} says which files make it installed`);
      }
    }
    for (const id of ['espeak', 'flite', 'pico']) assert.equal(model(id).builtin, true);
    assert.equal(model('kokoro').tier, 'standard');
    assert.equal(model('chatterbox').tier, 'premium');
    assert.equal(model('chatterbox').supports_cloning, true);
    assert.equal(model('piper').tier, 'free');
  });

  test('kokoro is not installed until its files are in <modelsDir>/kokoro/', () => {
    const kokoro = model('kokoro');
    assert.equal(isInstalled(kokoro, modelsDir), false);
    mkdirSync(join(modelsDir, 'kokoro'), { recursive: true });
    writeFileSync(join(modelsDir, 'kokoro', 'kokoro-v1.0.onnx'), 'x');
    assert.equal(isInstalled(kokoro, modelsDir), false, 'one file of two is not enough');
    writeFileSync(join(modelsDir, 'kokoro', 'voices-v1.0.bin'), 'x');
    assert.equal(isInstalled(kokoro, modelsDir), true);
  });

  test('wildcard file patterns match one name each (piper: *.onnx and *.onnx.json)', () => {
    const piper = model('piper');
    mkdirSync(join(modelsDir, 'piper'), { recursive: true });
    writeFileSync(join(modelsDir, 'piper', 'en_US-amy-medium.onnx.json'), '{}');
    assert.equal(isInstalled(piper, modelsDir), false, 'a config alone is not a model');
    writeFileSync(join(modelsDir, 'piper', 'en_US-amy-medium.onnx'), 'x');
    assert.equal(isInstalled(piper, modelsDir), true);
  });

  test('espeak and flite need nothing installed', () => {
    assert.equal(isInstalled(model('espeak'), modelsDir), true);
    assert.equal(isInstalled(model('flite'), modelsDir), true);
  });
});

describe('runtime voices and models', () => {
  let runtime: TtsService;
  const emptyModels = (): string => {
    const dir = join(modelsDir, 'empty');
    mkdirSync(dir, { recursive: true });
    return dir;
  };

  before(async () => {
    runtime = await TtsService.start({ workers: 1, modelsDir: emptyModels() });
  });

  after(async () => {
    await runtime.close();
  });

  test('eSpeak offers 100+ languages, read from its data', () => {
    const espeak = runtime.voices().filter((v) => v.model === 'espeak');
    const languages = new Set(espeak.map((v) => v.language.split('-')[0]));
    assert.ok(espeak.length >= 100, `${espeak.length} voices`);
    assert.ok(languages.size >= 100, `${languages.size} languages`);
    // The catalogue's static language list is the one the data really has.
    assert.deepEqual([...languages].sort(), [...model('espeak').languages].sort());
    for (const id of ['en-us', 'cy', 'fr', 'de', 'ja', 'sw']) assert.ok(runtime.findVoice(id), `${id} exists`);
  });

  test('every voice has id, name, model, language and gender; ids are unique across engines', () => {
    const voices = runtime.voices();
    const ids = voices.map((v) => v.id.toLowerCase());
    assert.equal(new Set(ids).size, ids.length);
    for (const v of voices) {
      assert.ok(v.id && v.name && v.model && v.language, JSON.stringify(v));
      assert.ok(['male', 'female', 'neutral'].includes(v.gender), JSON.stringify(v));
      assert.equal(v.language, v.language.toLowerCase());
    }
    assert.deepEqual(
      voices.filter((v) => v.model === 'flite').map((v) => v.id),
      ['flite-slt', 'flite-rms', 'flite-awb', 'flite-kal16', 'flite-kal'],
    );
    assert.equal(runtime.findVoice('flite-slt')?.gender, 'female');
  });

  test('findVoice matches ids case-insensitively', () => {
    assert.equal(runtime.findVoice('EN-US')?.id, 'en-us');
    assert.equal(runtime.findVoice('Flite-SLT')?.id, 'flite-slt');
    assert.equal(runtime.findVoice('nobody'), undefined);
  });

  test('defaultVoiceFor picks the best voice of a model for a language', () => {
    assert.equal(runtime.defaultVoiceFor('espeak', 'fr')?.id, 'fr');
    assert.equal(runtime.defaultVoiceFor('espeak', 'en')?.id, 'en-us');
    assert.equal(runtime.defaultVoiceFor('espeak', 'en-GB')?.id, 'en');
    assert.equal(runtime.defaultVoiceFor('espeak', 'pt-BR')?.id, 'pt-br');
    assert.equal(runtime.defaultVoiceFor('espeak', 'fr_CA')?.id, 'fr', 'falls back to the primary language');
    assert.equal(runtime.defaultVoiceFor('espeak', 'cy')?.id, 'cy');
    assert.equal(runtime.defaultVoiceFor('espeak', 'zh')?.language, 'cmn');
    assert.equal(runtime.defaultVoiceFor('flite', 'en')?.id, 'flite-slt');
    assert.equal(runtime.defaultVoiceFor('flite', 'fr'), undefined);
    assert.equal(runtime.defaultVoiceFor('kokoro', 'en'), undefined);
  });

  test('models() says what is installed and loaded; pico without lingware is neither', () => {
    const byId = new Map(runtime.models().map((m) => [m.id, m]));
    assert.deepEqual(
      { installed: byId.get('espeak')?.installed, loaded: byId.get('espeak')?.loaded },
      { installed: true, loaded: true },
    );
    assert.equal(byId.get('flite')?.loaded, true);
    assert.equal(byId.get('kokoro')?.installed, false);
    assert.equal(byId.get('kokoro')?.loaded, false);
    assert.ok(runtime.engine('espeak'));
    assert.equal(runtime.engine('kokoro'), undefined);
    // With no lingware in the models dir and none installed system-wide, pico cannot speak.
    const pico = byId.get('pico');
    assert.equal(pico?.loaded, pico?.installed);
    assert.equal(runtime.engine('pico') !== undefined, pico?.loaded);
    assert.equal(runtime.voices().some((v) => v.model === 'pico'), pico?.loaded);
  });
});
