/**
 * The Speak tab: text, model, voice and speed; "Speak" streams `POST /v1/tts/stream/` (SSE with
 * PCM16 24 kHz deltas) into the PcmPlayer as the deltas arrive, shows the time to first audio
 * and each `speech.word` as it comes; "Download" fetches the whole file from `/v1/audio/speech`.
 */
import { getJson, pcmFromBase64, postJson, sseEvents } from './api.js';
import { audioContext, PcmPlayer } from './pcm-player.js';
import { $, say } from './ui.js';

async function fillModels(select) {
  const { models } = await getJson('/v1/models/');
  const usable = models.filter((m) => m.type === 'tts' && m.installed);
  select.replaceChildren(...usable.map((m) => new Option(m.name, m.id)));
}

async function fillVoices(select, model) {
  const { voices } = await getJson(`/v1/voices/?model=${encodeURIComponent(model)}`);
  // English voices first: most people try the page in English.
  const ordered = [...voices].sort((a, b) => Number(!a.language.startsWith('en')) - Number(!b.language.startsWith('en')));
  select.replaceChildren(...ordered.map((v) => new Option(`${v.name} (${v.language})`, v.id)));
}

function saveBlob(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** Wires the tab; `status` is window.llaisPlayground.speak. */
export function setupSpeak(status) {
  const text = $('speak-text');
  const model = $('speak-model');
  const voice = $('speak-voice');
  const speed = $('speak-speed');
  const line = $('speak-status');
  const wordsEl = $('speak-words');
  let player;
  let controller;

  speed.addEventListener('input', () => ($('speak-speed-value').textContent = Number(speed.value).toFixed(1)));
  model.addEventListener('change', () => fillVoices(voice, model.value).catch((e) => say(line, e.message, true)));
  fillModels(model)
    .then(() => fillVoices(voice, model.value))
    .catch((e) => say(line, `Could not list models: ${e.message}`, true));

  const request = () => ({ text: text.value, model: model.value, voice: voice.value, speed: Number(speed.value) });

  $('speak-go').addEventListener('click', async () => {
    controller?.abort();
    controller = new AbortController();
    const ctx = await audioContext();
    player ??= new PcmPlayer(ctx);
    player.reset();
    player.onPlayed = (n) => (status.samplesPlayed = n);
    Object.assign(status, { firstAudioMs: null, samplesReceived: 0, samplesPlayed: 0, words: [], done: false, error: null });
    wordsEl.replaceChildren();
    say(line, 'Synthesizing…');
    const started = performance.now();
    try {
      const res = await postJson('/v1/tts/stream/', { ...request(), format: 'pcm' }, controller.signal);
      for await (const event of sseEvents(res)) {
        if (event.type === 'speech.audio.delta') {
          if (status.firstAudioMs === null) {
            status.firstAudioMs = Math.round(performance.now() - started);
            say(line, `First audio after ${status.firstAudioMs} ms`);
          }
          const pcm = pcmFromBase64(event.audio);
          status.samplesReceived += pcm.length;
          player.push(pcm);
        } else if (event.type === 'speech.word') {
          status.words.push(event.word);
          const span = document.createElement('span');
          span.textContent = event.word;
          span.title = `${event.start.toFixed(2)}–${event.end.toFixed(2)} s`;
          wordsEl.append(span);
        } else if (event.type === 'speech.audio.done') {
          status.done = true;
          say(line, `First audio after ${status.firstAudioMs} ms · ${event.duration.toFixed(1)} s of audio · ${event.credits_used} credits`);
        } else if (event.type === 'error') {
          throw new Error(event.error.message);
        }
      }
    } catch (e) {
      if (e.name === 'AbortError') return;
      status.error = e.message;
      say(line, e.message, true);
    }
  });

  $('speak-stop').addEventListener('click', () => {
    controller?.abort();
    player?.stop();
    say(line, 'Stopped');
  });

  $('speak-download').addEventListener('click', async () => {
    const format = $('speak-format').value;
    const { text: input, ...rest } = request();
    say(line, `Rendering ${format}…`);
    try {
      const res = await postJson('/v1/audio/speech', { ...rest, input, response_format: format });
      saveBlob(await res.blob(), `llais-speech.${format}`);
      say(line, `Saved llais-speech.${format}`);
    } catch (e) {
      say(line, e.message, true);
    }
  });
}
