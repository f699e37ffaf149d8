/**
 * The Transcribe tab: record from the microphone (PCM through mic.js, sent as a WAV) or upload
 * any audio file, then `POST /v1/stt/` (multipart: `file`, `timestamps=true`) and show the
 * transcript with each word's start and end.
 */
import { postForm } from './api.js';
import { Mic } from './mic.js';
import { audioContext, PCM_RATE_HZ } from './pcm-player.js';
import { $, say } from './ui.js';
import { wavBlob } from './wav.js';

/** mic.js sends 20 ms frames. */
const FRAME_MS = 20;

/** Wires the tab; `status` is window.llaisPlayground.transcribe. */
export function setupTranscribe(status) {
  const line = $('stt-status');
  const record = $('stt-record');
  const stop = $('stt-stop');
  let mic;
  let frames = [];

  function show(result) {
    status.text = result.text;
    status.words = result.segments.flatMap((s) => s.words ?? []);
    $('stt-text').textContent = result.text || '(nothing recognized)';
    const rows = status.words.map((w) => {
      const tr = document.createElement('tr');
      for (const cell of [w.word, w.start.toFixed(2), w.end.toFixed(2)]) tr.append(Object.assign(document.createElement('td'), { textContent: cell }));
      return tr;
    });
    document.querySelector('#stt-words tbody').replaceChildren(...rows);
    say(line, `${result.duration.toFixed(1)} s of audio · language ${result.language}`);
  }

  async function transcribe(file, name) {
    Object.assign(status, { text: null, words: [], error: null });
    say(line, 'Transcribing…');
    const form = new FormData();
    form.append('timestamps', 'true');
    form.append('file', file, name);
    try {
      show(await postForm('/v1/stt/', form));
    } catch (e) {
      status.error = e.message;
      say(line, e.message, true);
    }
  }

  record.addEventListener('click', async () => {
    frames = [];
    status.recordedMs = 0;
    try {
      mic = new Mic(await audioContext(), (f) => {
        frames.push(f);
        status.recordedMs = frames.length * FRAME_MS;
      });
      // Transcription wants the voice as recorded, without the call-style processing.
      await mic.start(false);
    } catch (e) {
      say(line, `No microphone: ${e.message}`, true);
      return;
    }
    record.disabled = true;
    stop.disabled = false;
    say(line, 'Recording… press Stop when done');
  });

  stop.addEventListener('click', () => {
    mic?.stop();
    record.disabled = false;
    stop.disabled = true;
    transcribe(wavBlob(frames, PCM_RATE_HZ), 'recording.wav');
  });

  $('stt-file').addEventListener('change', (e) => {
    const file = e.target.files[0];
    if (file) transcribe(file, file.name);
  });
}
