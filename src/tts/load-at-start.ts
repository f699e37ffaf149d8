/**
 * `modelsLoadAtStart` for the neural TTS models: each listed model (or every loaded one for
 * `all`) speaks a word once per TTS worker, so its sessions exist before the first request and
 * a model that cannot load is marked failed (its engine does that) before anyone asks for it.
 * Best effort: a failure is logged by the caller and the server serves on.
 */
import { modelsNamedToLoad } from '../engines/model-files.js';
import type { TtsService } from './service.js';

/** Engines whose sessions are worth loading ahead; the built-in ones are always warm. */
const NEURAL_TTS_MODELS = ['kokoro', 'piper'];
const WARM_TEXT = 'Ready.';

export async function loadTtsModelsAtStart(tts: TtsService, list: string, copies: number, signal: AbortSignal): Promise<string[]> {
  const wanted = modelsNamedToLoad(list);
  const loaded: string[] = [];
  for (const id of NEURAL_TTS_MODELS) {
    if (wanted !== null && !wanted.has(id)) continue;
    const engine = tts.engine(id);
    const voice = engine && tts.defaultVoiceFor(id, 'en');
    if (!engine || !voice) continue;
    // One job per worker, all at once, so (on CPU) each worker takes one and loads its own session.
    const runs = Array.from({ length: Math.max(1, copies) }, async () => {
      for await (const _ of engine.synthesize({ text: WARM_TEXT, voice: voice.id, language: voice.language, speed: 1, priority: 'rest' }, signal)) {
        // drained: the point is the session load
      }
    });
    const results = await Promise.allSettled(runs);
    if (signal.aborted) break;
    if (results.every((r) => r.status === 'fulfilled')) loaded.push(id);
  }
  return loaded;
}
