/**
 * Every installed model side by side, on one real server using the operator's models directory
 * (`LLAIS_MODELS_DIR`, else `./models`): the neural models (Kokoro, Piper voices, Whisper) when
 * `llais models pull` put them there, beside the embedded engines, which are always installed.
 *
 * TTS, per model (its first US English voice, else English, else its first voice): time to the first
 * audio byte of `POST /v1/audio/speech` (`response_format: pcm`, a ~200-character paragraph)
 * and the real-time factor (wall time to the last byte / seconds of audio), p50 of 5 after one
 * warm-up. STT, per model: the 20 Harvard sentences of `test/fixtures` spoken by the server's
 * own `flite-rms` voice (~65 s, 16 kHz WAV), transcribed with `model=<id>` twice (the first
 * loads the model): RTF of the second (wall / audio seconds) and its WER against the text.
 *
 * Neural weights cannot be downloaded on the build machines, so there this table has the
 * embedded engines only; run it where the models are installed (and on a GPU machine with
 * `LLAIS_ONNX_PROVIDERS=cuda`) to get their figures.
 */
import { pathToFileURL } from 'node:url';
import { HARVARD_SENTENCES } from '../test/fixtures/harvard-sentences.js';
import { timeAudioBody } from './lib/client.js';
import { TEXT_200 } from './lib/fixtures.js';
import { heading, ms, printTable } from './lib/report.js';
import { REPO_ROOT, withServer } from './lib/server.js';
import { summarize } from './lib/stats.js';
import { wordErrorRate } from './lib/wer.js';

const ROUNDS = 5;
/** `response_format: pcm` is 24 kHz 16-bit mono, as OpenAI's. */
const PCM_BYTES_PER_SEC = 24_000 * 2;
const STT_TIMEOUT_MS = 10 * 60_000;

interface ListedModel {
  id: string;
  type: 'tts' | 'stt';
  installed: boolean;
  install_hint?: string;
}

async function json<T>(url: string, init?: RequestInit): Promise<T> {
  const res = await fetch(url, init);
  if (!res.ok) throw new Error(`${init?.method ?? 'GET'} ${url}: HTTP ${res.status} ${(await res.text()).slice(0, 300)}`);
  return (await res.json()) as T;
}

async function ttsRows(url: string, models: ListedModel[]): Promise<string[][]> {
  const rows: string[][] = [];
  for (const m of models) {
    const { voices } = await json<{ voices: Array<{ id: string; language?: string }> }>(`${url}/v1/voices/?model=${encodeURIComponent(m.id)}`);
    const english = voices.filter((v) => v.language?.toLowerCase().startsWith('en'));
    const voice = english.find((v) => v.language!.toLowerCase().replace('_', '-') === 'en-us') ?? english[0] ?? voices[0];
    if (!voice) continue;
    const body = { model: m.id, voice: voice.id, input: TEXT_200, response_format: 'pcm' };
    await timeAudioBody(`${url}/v1/audio/speech`, body);
    const runs = [];
    for (let i = 0; i < ROUNDS; i++) runs.push(await timeAudioBody(`${url}/v1/audio/speech`, body));
    const first = summarize(runs.map((r) => r.firstAudioMs)).median;
    const rtf = summarize(runs.map((r) => r.doneMs / 1000 / (r.audioBytes / PCM_BYTES_PER_SEC))).median;
    rows.push([m.id, voice.id, ms(first), rtf.toFixed(3)]);
  }
  return rows;
}

async function sttRows(url: string, models: ListedModel[]): Promise<string[][]> {
  const reference = HARVARD_SENTENCES.join(' ');
  const speech = await fetch(`${url}/v1/audio/speech`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'flite', voice: 'flite-rms', input: HARVARD_SENTENCES.join('\n'), response_format: 'wav' }),
  });
  if (!speech.ok) throw new Error(`held-out recording: HTTP ${speech.status}`);
  const wav = new Blob([await speech.arrayBuffer()], { type: 'audio/wav' });
  const rows: string[][] = [];
  for (const m of models) {
    const transcribe = async (): Promise<{ wallMs: number; text: string; duration: number }> => {
      const form = new FormData();
      form.set('file', wav, 'harvard.wav');
      form.set('model', m.id);
      form.set('language', 'en');
      form.set('response_format', 'verbose_json');
      const started = performance.now();
      const out = await json<{ text: string; duration: number }>(`${url}/v1/audio/transcriptions`, { method: 'POST', body: form, signal: AbortSignal.timeout(STT_TIMEOUT_MS) });
      return { wallMs: performance.now() - started, text: out.text, duration: out.duration };
    };
    const cold = await transcribe();
    const warm = await transcribe();
    rows.push([m.id, `${warm.duration.toFixed(1)} s`, ms(cold.wallMs), (warm.wallMs / 1000 / warm.duration).toFixed(3), `${(wordErrorRate(reference, warm.text).wer * 100).toFixed(1)} %`]);
  }
  return rows;
}

export async function runModels(): Promise<void> {
  await withServer(async (server) => {
    const { models } = await json<{ models: ListedModel[] }>(`${server.url}/v1/models/`);
    const installed = models.filter((m) => m.installed);
    const missing = models.filter((m) => !m.installed && m.install_hint);
    heading(`Installed TTS models: first audio and real-time factor, ${TEXT_200.length}-char paragraph, p50 of ${ROUNDS}`);
    printTable(['model', 'voice', 'first audio ms', 'RTF (wall / audio)'], await ttsRows(server.url, installed.filter((m) => m.type === 'tts')));
    heading('Installed STT models: 20 Harvard sentences (flite-rms, 16 kHz), second run after a loading one');
    printTable(['model', 'audio', 'first run ms (loads)', 'RTF', 'WER'], await sttRows(server.url, installed.filter((m) => m.type === 'stt')));
    if (missing.length > 0) console.log(`\nnot installed here (no figures): ${missing.map((m) => m.id).join(', ')}`);
  }, { env: process.env.LLAIS_MODELS_DIR ? {} : { LLAIS_MODELS_DIR: `${REPO_ROOT}models` } });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  runModels().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
