/**
 * The voice-identity endpoints through a real server (child process, `LLAIS_POOL_WORKERS=2`,
 * the embedded methods: no speaker, conversion or cloning model installed), on a 30 s clip of
 * flite-rms reading Harvard sentences, made by the server itself.
 *
 * 1. Real-time factor, one request at a time (wall time / audio seconds: the 30 s input, or the
 *    output for cloning): voice-embed, voice-convert (toward flite-slt), speech-to-speech (happy),
 *    tts/clone (embed_id, ~30 s of text), speech-translate (a fake local chat model answering at
 *    once, so the figure is recognition + synthesis + conversion). Targets: embed ≤ 0.1, the
 *    others ≤ 1 (faster than real time on this machine).
 * 2. The main thread's event-loop delay (p99, max from `GET /metrics`) while embed, convert and
 *    speech-to-speech run at once, against the same server idle after warm-up (the baseline of
 *    this run). Target p99 < 10 ms: the DSP runs on pool workers, the main thread moves bytes.
 *
 * Run alone: `node --import tsx bench/voice-identity.ts`.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { wavHeader } from '../src/audio/wav.js';
import { HARVARD_SENTENCES } from '../test/fixtures/harvard-sentences.js';
import { getText, metric } from './lib/client.js';
import { heading, ms, printTable, ratio, verdict } from './lib/report.js';
import { withServer, type BenchServer } from './lib/server.js';

const CLIP_SEC = 30;
const RATE = 24_000;
const MAX_EMBED_RTF = 0.1;
const MAX_RTF = 1;
const MAX_EVENT_LOOP_P99_MS = 10;
const EVENT_LOOP_P99 = 'llais_event_loop_delay_seconds{quantile="0.99"}';
const EVENT_LOOP_MAX = 'llais_event_loop_delay_seconds{quantile="1"}';

async function clip(server: BenchServer): Promise<{ wav: Uint8Array; text: string }> {
  const text = HARVARD_SENTENCES.slice(0, 14).join(' ');
  const res = await fetch(`${server.url}/v1/audio/speech`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'flite', voice: 'flite-rms', input: text, response_format: 'pcm' }) });
  const all = new Uint8Array(await res.arrayBuffer());
  const bytes = all.subarray(0, Math.min(all.byteLength, CLIP_SEC * RATE * 2));
  const wav = new Uint8Array(44 + bytes.byteLength);
  wav.set(wavHeader(bytes.byteLength, RATE));
  wav.set(bytes, 44);
  return { wav, text };
}

async function post(server: BenchServer, path: string, fields: Record<string, string>, file?: [string, Uint8Array]): Promise<{ wallMs: number; res: Response; body: Uint8Array }> {
  const fd = new FormData();
  for (const [k, v] of Object.entries(fields)) fd.append(k, v);
  if (file) fd.append(file[0], new Blob([new Uint8Array(file[1])]), 'clip.wav');
  const started = performance.now();
  const res = await fetch(`${server.url}${path}`, { method: 'POST', body: fd });
  const body = new Uint8Array(await res.arrayBuffer());
  if (res.status !== 200) throw new Error(`${path}: ${res.status} ${new TextDecoder().decode(body)}`);
  return { wallMs: performance.now() - started, res, body };
}

async function eventLoop(server: BenchServer): Promise<{ p99Ms: number; maxMs: number }> {
  const text = await getText(`${server.url}/metrics`);
  return { p99Ms: metric(text, EVENT_LOOP_P99) * 1000, maxMs: metric(text, EVENT_LOOP_MAX) * 1000 };
}

export async function runVoiceIdentity(): Promise<void> {
  heading(`Voice identity: ${CLIP_SEC} s clip, embedded methods, 2 pool workers`);
  const llm = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: 'Le canoë de bouleau glissait sur les planches lisses. Collez la feuille sur le fond bleu foncé.' }, finish_reason: null }] })}\n\n`);
      res.end(`data: ${JSON.stringify({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\ndata: [DONE]\n\n`);
    });
  });
  llm.listen(0, '127.0.0.1');
  await once(llm, 'listening');
  const env = { LLAIS_POOL_WORKERS: '2', LLAIS_LLM_BASE_URL: `http://127.0.0.1:${(llm.address() as AddressInfo).port}` };
  try {
    await withServer(async (server) => {
      const { wav, text } = await clip(server);
      const file: [string, Uint8Array] = ['file', wav];
      const seconds = (wav.byteLength - 44) / 2 / RATE;
      // Warm-up: the workers' first task, and flite-slt's statistics measured once.
      const { body: embedBody } = await post(server, '/v1/voice-embed/', {}, file);
      const embedId = (JSON.parse(new TextDecoder().decode(embedBody)) as { embed_id: string }).embed_id;
      await post(server, '/v1/voice-convert/', { target_voice: 'flite-slt' }, file);
      const rows: string[][] = [];
      const runs: Array<[string, () => ReturnType<typeof post>, number | null, number]> = [
        ['voice-embed', () => post(server, '/v1/voice-embed/', {}, file), seconds, MAX_EMBED_RTF],
        ['voice-convert', () => post(server, '/v1/voice-convert/', { target_voice: 'flite-slt' }, file), seconds, MAX_RTF],
        ['speech-to-speech', () => post(server, '/v1/speech-to-speech/', { emotion: 'happy', voice: embedId }, file), seconds, MAX_RTF],
        ['tts/clone', () => post(server, '/v1/tts/clone/', { embed_id: embedId, text, format: 'wav' }), null, MAX_RTF],
        ['speech-translate', () => post(server, '/v1/speech-translate/', { target_language: 'fr', preserve_voice: 'true' }, file), seconds, MAX_RTF],
      ];
      for (const [name, run, inputSec, target] of runs) {
        const { wallMs, body } = await run();
        // Cloning's output is the audio: a 16 kHz WAV.
        const sec = inputSec ?? (body.byteLength - 44) / 2 / 16_000;
        const rtf = wallMs / 1000 / sec;
        rows.push([name, ms(wallMs), `${sec.toFixed(1)} s`, ratio(rtf), `≤ ${target}`, verdict(rtf <= target)]);
      }
      printTable(['endpoint', 'wall', 'audio', 'RTF', 'target', ''], rows);

      const idle = await eventLoop(server);
      const started = performance.now();
      await Promise.all([
        post(server, '/v1/voice-embed/', {}, file),
        post(server, '/v1/voice-convert/', { target_voice: 'flite-slt' }, file),
        post(server, '/v1/speech-to-speech/', { emotion: 'sad' }, file),
      ]);
      const loaded = await eventLoop(server);
      console.log(`\nthree at once (embed, convert, speech-to-speech): ${ms(performance.now() - started)} for all`);
      printTable(
        ['event-loop delay', 'baseline (idle, after warm-up)', 'after 3 at once', 'target', ''],
        [['p99', ms(idle.p99Ms), ms(loaded.p99Ms), `< ${MAX_EVENT_LOOP_P99_MS} ms`, verdict(loaded.p99Ms < MAX_EVENT_LOOP_P99_MS)], ['max', ms(idle.maxMs), ms(loaded.maxMs), '', '']],
      );
    }, { env });
  } finally {
    llm.closeAllConnections();
    llm.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  runVoiceIdentity().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
