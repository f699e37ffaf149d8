import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { STT_MODEL_CATALOGUE } from '../src/engines/stt/catalogue.js';
import { ApiError } from '../src/errors.js';
import { ModelsError } from '../src/models/errors.js';
import { pullModel } from '../src/models/pull.js';
import { resolveSttModel, type SttModelQuery, type SttModelStatus } from '../src/stt/resolve.js';

/** The catalogue as this build ships it: only the built-in PocketSphinx is installed. */
const SHIPPED: SttModelStatus[] = STT_MODEL_CATALOGUE.map((m) => ({ ...m, installed: m.builtin }));
/** As if an operator had installed Whisper base beside it. */
const WITH_WHISPER: SttModelStatus[] = STT_MODEL_CATALOGUE.map((m) => ({ ...m, installed: m.builtin || m.id === 'whisper-base' }));

const base: SttModelQuery = { language: 'auto', task: 'transcribe', wordTimestamps: false, diarize: false, live: false };

function refusal(models: SttModelStatus[], q: Partial<SttModelQuery>): { status: number; code: string; param: string | null; message: string } {
  try {
    resolveSttModel(models, { ...base, ...q });
  } catch (err) {
    assert.ok(err instanceof ApiError, String(err));
    return { status: err.status, code: err.code, param: err.param, message: err.message };
  }
  assert.fail(`expected a refusal for ${JSON.stringify(q)}`);
}

describe('STT model resolution', () => {
  it('serves every OpenAI name, an omitted model and the built-in id with PocketSphinx', () => {
    for (const model of [undefined, '', 'whisper-1', 'gpt-4o-transcribe', 'gpt-4o-mini-transcribe', 'pocketsphinx']) {
      assert.deepEqual(resolveSttModel(SHIPPED, { ...base, model }), { model: 'pocketsphinx' }, String(model));
    }
  });

  it('accepts English with a region, word times, speaker labels and live decoding on PocketSphinx', () => {
    const q = { ...base, language: 'en-US', wordTimestamps: true, diarize: true, live: true };
    assert.deepEqual(resolveSttModel(SHIPPED, q), { model: 'pocketsphinx' });
    // English "translated" into English is a transcription: no translation engine needed.
    assert.deepEqual(resolveSttModel(SHIPPED, { ...base, task: 'translate', language: 'en' }), { model: 'pocketsphinx' });
  });

  it('an unknown model is a 400 naming the installed ones', () => {
    const r = refusal(SHIPPED, { model: 'nonesuch' });
    assert.deepEqual([r.status, r.code, r.param], [400, 'model_not_found', 'model']);
    assert.match(r.message, /'pocketsphinx'/);
  });

  it('a catalogued model that is not installed is a 424 with its install command, aliases included', () => {
    for (const [model, id] of [['whisper', 'whisper-base'], ['whisper-large-v3', 'whisper-large-v3'], ['faster-whisper', 'faster-whisper'], ['sensevoice', 'sensevoice']]) {
      const r = refusal(SHIPPED, { model });
      assert.deepEqual([r.status, r.code, r.param], [424, 'model_not_installed', 'model'], model);
      assert.ok(r.message.includes(`llais models pull ${id}`), r.message);
    }
  });

  it('a language no installed model speaks is a 424 that names a model to install', () => {
    for (const model of [undefined, 'whisper-1', 'pocketsphinx']) {
      const r = refusal(SHIPPED, { model, language: 'fr' });
      assert.deepEqual([r.status, r.code, r.param], [424, 'language_not_installed', 'language'], String(model));
      assert.match(r.message, /installed recognizers speak: en\b/);
      assert.ok(r.message.includes('llais models pull whisper-base'), r.message);
    }
    // Nobody in the catalogue speaks Klingon: nothing to install, still the 424 (not installed here).
    const none = refusal(SHIPPED, { language: 'tlh' });
    assert.deepEqual([none.status, none.code], [424, 'language_not_installed']);
    assert.doesNotMatch(none.message, /models pull/);
  });

  it('a malformed language is a 400 on the language field', () => {
    const r = refusal(SHIPPED, { language: 'english please' });
    assert.deepEqual([r.status, r.code, r.param], [400, 'invalid_value', 'language']);
  });

  it('translation from another language needs a model that translates: 424 with the install command', () => {
    const r = refusal(SHIPPED, { task: 'translate', language: 'fr' });
    assert.deepEqual([r.status, r.code], [424, 'language_not_installed']);
    // With Whisper installed the same request is served by it; PocketSphinx is never asked to.
    assert.deepEqual(resolveSttModel(WITH_WHISPER, { ...base, task: 'translate', language: 'fr' }), { model: 'whisper-base' });
  });

  it('with several installed, an omitted model prefers the installed download, but capabilities decide', () => {
    assert.deepEqual(resolveSttModel(WITH_WHISPER, base), { model: 'whisper-base' });
    // Whisper decodes 30 s windows: a live session, or speaker labels, still get PocketSphinx.
    assert.deepEqual(resolveSttModel(WITH_WHISPER, { ...base, live: true }), { model: 'pocketsphinx' });
    assert.deepEqual(resolveSttModel(WITH_WHISPER, { ...base, diarize: true }), { model: 'pocketsphinx' });
    assert.deepEqual(resolveSttModel(WITH_WHISPER, { ...base, model: 'whisper' }), { model: 'whisper-base' });
  });

  it('`whisper` names the installed Whisper size; sttDefaultModel stands in for an omitted or OpenAI name', () => {
    const tiny: SttModelStatus[] = STT_MODEL_CATALOGUE.map((m) => ({ ...m, installed: m.builtin || m.id === 'whisper-tiny' }));
    assert.deepEqual(resolveSttModel(tiny, { ...base, model: 'whisper' }), { model: 'whisper-tiny' });
    assert.deepEqual(resolveSttModel(tiny, { ...base, model: 'whisper-1' }, 'pocketsphinx'), { model: 'pocketsphinx' });
    assert.deepEqual(resolveSttModel(tiny, base, 'whisper-tiny'), { model: 'whisper-tiny' });
    assert.deepEqual(resolveSttModel(tiny, { ...base, model: 'whisper-tiny' }, 'pocketsphinx'), { model: 'whisper-tiny' }, 'a named model wins');
  });

  it('a failed model is never chosen for an unnamed request, and naming it gives its 424 as recorded', () => {
    const failed: SttModelStatus[] = WITH_WHISPER.map((m) => (m.id === 'whisper-base' ? { ...m, failed: "Speech-to-text model 'whisper-base' failed to load: x. Reinstall it with `llais models pull whisper-base`" } : m));
    assert.deepEqual(resolveSttModel(failed, base), { model: 'pocketsphinx' });
    assert.deepEqual(resolveSttModel(failed, { ...base, model: 'whisper-1' }), { model: 'pocketsphinx' });
    const r = refusal(failed, { model: 'whisper-base' });
    assert.deepEqual([r.status, r.code, r.param], [424, 'model_not_installed', 'model']);
    assert.match(r.message, /failed to load: x\. Reinstall it with `llais models pull whisper-base`/);
    assert.equal(refusal(failed, { model: 'whisper' }).status, 424, '`whisper` with only a failed size');
  });

  it('a named model without a needed capability is a 400; a named model without the language is a 400 when another has it', () => {
    const live = refusal(WITH_WHISPER, { model: 'whisper-base', live: true });
    assert.deepEqual([live.status, live.code, live.param], [400, 'capability_not_supported', 'model']);
    const lang = refusal(WITH_WHISPER, { model: 'pocketsphinx', language: 'de' });
    assert.deepEqual([lang.status, lang.code, lang.param], [400, 'language_not_supported', 'language']);
    assert.match(lang.message, /whisper-base/);
  });

  it('a capability that only a model not installed has is a 424 naming it; one nobody has is a 400', () => {
    // German speech with speaker labels: Whisper speaks German but labels no speakers, and
    // nothing else that is catalogued does both.
    const nobody = refusal(WITH_WHISPER, { language: 'de', diarize: true });
    assert.deepEqual([nobody.status, nobody.code], [400, 'capability_not_supported']);
    // Word times in Japanese with only SenseVoice... which has none: Whisper would, and is not installed.
    const onlySense: SttModelStatus[] = STT_MODEL_CATALOGUE.map((m) => ({ ...m, installed: m.builtin || m.id === 'sensevoice' }));
    const r = refusal(onlySense, { language: 'ja', wordTimestamps: true });
    assert.deepEqual([r.status, r.code, r.param], [424, 'capability_not_installed', 'model']);
    assert.ok(r.message.includes('llais models pull whisper-base'), r.message);
  });

  it('every catalogued model that is not built in says how it installs, and `models pull` refuses it clearly', async () => {
    for (const m of STT_MODEL_CATALOGUE.filter((x) => !x.builtin)) {
      assert.equal(m.install_hint, `llais models pull ${m.id}`);
      // No catalogue is passed: `llais models pull` looks STT models up as it does TTS ones.
      const pull = pullModel(m.id, { modelsDir: '/nonexistent', fetchImpl: () => assert.fail('nothing is fetched') });
      if (m.id.startsWith('whisper-')) {
        // Whisper's files come from Hugging Face with no published sha256: refused until trusted.
        await assert.rejects(pull, (e: unknown) => e instanceof ModelsError && e.code === 'unpinned_download' && e.message.includes(`llais models pull ${m.id} --trust-unpinned`));
        continue;
      }
      // The others have no engine yet; the refusal must say so, not "unknown model".
      await assert.rejects(pull, (e: unknown) => e instanceof ModelsError && e.code === 'no_download_source' && /no engine in this version/.test(e.message));
    }
  });
});
