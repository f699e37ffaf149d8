/**
 * The embedded recognizer on speech from our own Flite voices: accuracy (WER printed and
 * bounded), word timings, chunking, silence, a three-minute recording in bounded memory, and
 * the addon in worker threads (where the server runs it).
 */
import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { PocketSphinxDecoder, POCKETSPHINX_SAMPLE_RATE_HZ, type RecognizedWord } from '../src/engines/stt/pocketsphinx/decoder.js';
import { loadAddon } from '../src/engines/stt/pocketsphinx/native-addon.js';
import { FliteCore } from '../src/engines/tts/flite/flite-core.js';
import { HARVARD_SENTENCES } from './fixtures/harvard-sentences.js';
import { concatPcm } from '../src/audio/pcm.js';
import { sourceModuleUrl } from './helpers/repo.js';

const RATE = POCKETSPHINX_SAMPLE_RATE_HZ;

const SENTENCES = HARVARD_SENTENCES;
const VOICES = ['slt', 'rms'];
/** The team's figure for stock pocketsphinx_continuous on Flite speech was 0.54. */
const MAX_WER = 0.6;
/**
 * The long recording: the first 10 sentences in each voice with 6.5 s of digital silence after
 * each, ~3 minutes. The decoder skips silence between utterances, so the gaps make the file long
 * (memory, timings across it) at little CPU; all 20 sentences with 2 s gaps cost ~40 s of CPU.
 */
const LONG_SENTENCES = 10;
const GAP_SEC = 6.5;

function words(text: string): string[] {
  return text.toLowerCase().replace(/[^a-z' ]/g, ' ').split(/\s+/).filter(Boolean);
}

/** Word-level Levenshtein distance. */
function editDistance(ref: string[], hyp: string[]): number {
  let prev = Array.from({ length: hyp.length + 1 }, (_, j) => j);
  for (let i = 1; i <= ref.length; i++) {
    const row = [i];
    for (let j = 1; j <= hyp.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (ref[i - 1] === hyp[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[hyp.length]!;
}


/** Where a sentence sits in the long recording, and when its voice starts (first loud sample). */
interface Placed {
  voice: string;
  text: string;
  startSec: number;
  onsetSec: number;
  endSec: number;
}

describe('PocketSphinx recognizer', () => {
  let scratch: string;
  let devNull: number;
  let decoder: PocketSphinxDecoder;
  /** Each voice's rendering of each sentence, 16 kHz. */
  const speech = new Map<string, Int16Array[]>();

  before(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'llais-stt-'));
    devNull = openSync('/dev/null', 'w');
    const flite = await FliteCore.load(scratch, devNull);
    for (const voice of VOICES) {
      speech.set(
        voice,
        SENTENCES.map((text) => {
          const parts: Int16Array[] = [];
          flite.synthesize(text, voice, 1, (chunk) => {
            assert.equal(chunk.sampleRateHz, RATE, `flite ${voice} speaks at 16 kHz`);
            parts.push(chunk.pcm);
            return true;
          });
          return concatPcm(parts);
        }),
      );
    }
    decoder = new PocketSphinxDecoder();
  });

  test('live turns: decoded as they arrive (first pass only), and a whole-utterance result on the same decoder is unchanged after them', () => {
    // Ten sentences (as the end-to-end round trip): 20 cost 27 s of CPU for the same finding.
    const pcm = speech.get('rms')!.slice(0, 10);
    const before = decoder.recognize(concatPcm(pcm.slice(0, 3)));
    let errors = 0;
    let refWords = 0;
    const liveProbs: number[] = [];
    for (const [i, sentence] of pcm.entries()) {
      const stream = decoder.openLiveStream();
      const heard: RecognizedWord[] = [];
      // 20 ms pushes, as a voice session forwards them; quiet lead-in skipped, not decoded.
      const padded = concatPcm([new Int16Array(RATE / 2), sentence, new Int16Array(RATE / 2)]);
      for (let at = 0; at < padded.length; at += RATE / 50) heard.push(...stream.push(padded.subarray(at, at + RATE / 50)));
      heard.push(...stream.end());
      for (const w of heard) liveProbs.push(w.prob);
      assert.ok(heard.length > 0 && heard[0]!.start >= 0.45, `sentence ${i}: words timed on the stream's clock (${heard[0]?.start})`);
      const ref = words(SENTENCES[i]!);
      errors += editDistance(ref, heard.map((w) => w.word));
      refWords += ref.length;
    }
    const wer = errors / refWords;
    console.log(`live-turn WER (flite-rms, ${pcm.length} sentences): ${wer.toFixed(3)}`);
    assert.ok(wer <= MAX_WER, `live WER ${wer.toFixed(3)} <= ${MAX_WER}`);
    // Live mode computes no lattice, so no posteriors; afterwards batch gets its lattice pass and its
    // per-utterance normalisation back (sphinxbase would otherwise stay in live CMN for good).
    assert.ok(liveProbs.every((p) => p === 1), 'no lattice in live mode');
    const after = decoder.recognize(concatPcm(pcm.slice(0, 3)));
    assert.ok(after.words.some((w) => w.prob < 1), 'lattice posteriors again in batch mode');
    assert.deepEqual(after.words, before.words, 'batch result unchanged by the live turns before it');
  });

  after(() => {
    decoder?.free();
    if (devNull !== undefined) closeSync(devNull);
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  test('the addon loads and rejects unknown decoder options', () => {
    const { Decoder } = loadAddon();
    assert.equal(typeof Decoder, 'function');
    assert.throws(() => new Decoder(['-no_such_option', '1']), /rejected the decoder options/);
  });

  test('a three-minute recording: WER per voice, word timings across the whole file, bounded memory', () => {
    const parts: Int16Array[] = [];
    const placed: Placed[] = [];
    let samples = 0;
    for (const voice of VOICES) {
      speech.get(voice)!.slice(0, LONG_SENTENCES).forEach((pcm, i) => {
        let onset = 0;
        while (onset < pcm.length && Math.abs(pcm[onset]!) < 500) onset++;
        placed.push({ voice, text: SENTENCES[i]!, startSec: samples / RATE, onsetSec: (samples + onset) / RATE, endSec: (samples + pcm.length) / RATE });
        parts.push(pcm, new Int16Array(GAP_SEC * RATE));
        samples += pcm.length + GAP_SEC * RATE;
      });
    }
    const audio = concatPcm(parts);
    const durationSec = audio.length / RATE;
    assert.ok(durationSec > 170 && durationSec < 200, `about three minutes of audio (${durationSec.toFixed(1)} s)`);

    // Fed a second at a time, as a worker receives audio from a decoder; RSS sampled as it goes.
    const stream = decoder.openStream();
    const recognized: RecognizedWord[] = [];
    const rss: number[] = [];
    const cpuBefore = process.cpuUsage();
    for (let at = 0; at < audio.length; at += RATE) {
      recognized.push(...stream.push(audio.subarray(at, at + RATE)));
      rss.push(process.memoryUsage.rss());
    }
    recognized.push(...stream.end());
    const cpu = process.cpuUsage(cpuBefore);
    const rtf = (cpu.user + cpu.system) / 1e6 / durationSec;

    // Accuracy, per voice, from the words timed inside that voice's half.
    const werByVoice: Record<string, number> = {};
    let errors = 0;
    let refWords = 0;
    for (const voice of VOICES) {
      const mine = placed.filter((p) => p.voice === voice);
      const from = mine[0]!.startSec;
      const to = mine[mine.length - 1]!.endSec + GAP_SEC;
      const hyp = recognized.filter((w) => w.start >= from && w.start < to).map((w) => w.word);
      const ref = mine.flatMap((p) => words(p.text));
      const e = editDistance(ref, hyp);
      werByVoice[`flite-${voice}`] = Number((e / ref.length).toFixed(3));
      errors += e;
      refWords += ref.length;
    }
    const wer = errors / refWords;
    console.log(`pocketsphinx WER ${wer.toFixed(3)} ${JSON.stringify(werByVoice)} over ${refWords} words, ${durationSec.toFixed(0)} s, RTF ${rtf.toFixed(3)}`);
    assert.ok(wer <= MAX_WER, `WER ${wer.toFixed(3)} <= ${MAX_WER}`);

    // Timings: ordered, inside the file, from its start to its end.
    for (const [i, w] of recognized.entries()) {
      assert.ok(w.start >= 0 && w.start < w.end && w.end <= durationSec, `word ${i} '${w.word}' [${w.start}, ${w.end}] within ${durationSec}`);
      assert.ok(w.prob >= 0 && w.prob <= 1);
      if (i > 0) assert.ok(w.start >= recognized[i - 1]!.end - 1e-9, `word ${i} starts after word ${i - 1} ends`);
    }
    assert.ok(recognized[0]!.start < 1, 'first word near the start');
    assert.ok(recognized[recognized.length - 1]!.end > durationSec - GAP_SEC - 1, 'last word near the end');
    // Every sentence heard where it is, and most first words placed on the voice's onset.
    let onTime = 0;
    for (const p of placed) {
      const inside = recognized.filter((w) => w.start >= p.startSec && w.start < p.endSec);
      assert.ok(inside.length > 0, `words recognized for "${p.text}" at ${p.startSec.toFixed(1)} s`);
      if (Math.abs(inside[0]!.start - p.onsetSec) < 0.25) onTime++;
    }
    assert.ok(onTime >= 0.8 * placed.length, `${onTime}/${placed.length} sentences' first words start within 0.25 s of the voice`);

    // Memory: after the first 30 s (models touched, first utterances decoded), flat.
    const settled = rss[30]!;
    const growthMb = (Math.max(...rss.slice(30)) - settled) / 2 ** 20;
    console.log(`pocketsphinx RSS growth after 30 s: ${growthMb.toFixed(1)} MB over ${durationSec.toFixed(0)} s of audio`);
    // A sanity bound, not a benchmark (RTF above is printed, never asserted): 30 MB is more than a
    // whole utterance's working set (~20 MB at the 30 s cap, see decoder.ts), so it holds whatever
    // the first utterances left allocated and fails only if memory grows with the audio's length.
    assert.ok(growthMb < 30, `RSS grew ${growthMb.toFixed(1)} MB`);
  });

  test('chunked input gives exactly the one-shot result', () => {
    // Four sentences back to back over a -50 dBFS hiss (no silence anywhere), fed in pieces
    // that split frames, samples and words. (Cuts themselves: stt-utterance-splitter.test.ts.)
    let seed = 7;
    const hiss = (): number => ((seed = (seed * 1_103_515_245 + 12_345) >>> 0) / 2 ** 32 - 0.5) * 200;
    const audio = concatPcm(speech.get('slt')!.slice(0, 4));
    for (let i = 0; i < audio.length; i++) audio[i] = Math.max(-32_768, Math.min(32_767, audio[i]! + Math.round(hiss())));

    const oneShot = decoder.recognize(audio);
    const sizes = [1, 159, 160, 161, 4_000, 16_000, 77_777];
    function* chunks(): Generator<Int16Array> {
      for (let at = 0, k = 0; at < audio.length; k++) {
        const n = sizes[k % sizes.length]!;
        yield audio.slice(at, at + n);
        at += n;
      }
    }
    assert.deepEqual(decoder.recognizeChunks(chunks()), oneShot);
    const ref = SENTENCES.slice(0, 4).flatMap(words);
    assert.ok(editDistance(ref, words(oneShot.text)) / ref.length <= MAX_WER, 'recognizes the speech under the hiss');
  });

  test('empty, silent and near-silent input give empty text', () => {
    let seed = 3;
    const quietNoise = Int16Array.from({ length: 3 * RATE }, () => Math.round(((seed = (seed * 1_103_515_245 + 12_345) >>> 0) / 2 ** 32 - 0.5) * 40));
    for (const [name, pcm] of [
      ['empty', new Int16Array(0)],
      ['one sample', new Int16Array([1000])],
      ['2 s of zeros', new Int16Array(2 * RATE)],
      ['3 s of noise at -70 dBFS', quietNoise],
    ] as const) {
      assert.deepEqual(decoder.recognize(pcm), { text: '', words: [] }, name);
    }
    const stream = decoder.openStream();
    assert.deepEqual(stream.end(), [], 'a stream ended before any audio');
  });

  test('leading silence shifts word times by its length', () => {
    const sentence = speech.get('slt')![0]!;
    const plain = decoder.recognize(sentence);
    const padded = decoder.recognize(concatPcm([new Int16Array(5 * RATE), sentence]));
    assert.equal(padded.text, plain.text);
    for (const [i, w] of padded.words.entries()) assert.ok(Math.abs(w.start - 5 - plain.words[i]!.start) < 0.02, `'${w.word}' moved by 5 s`);
  });

  test('loads and recognizes in two worker threads at once', async () => {
    const pcm = speech.get('slt')![2]!;
    const expected = decoder.recognize(pcm).text;
    // Workers do not inherit tsx's loader hooks from `--import tsx`; register them first.
    const source = `
      const { parentPort, workerData } = require('node:worker_threads');
      import(workerData.tsx)
        .then((tsx) => { tsx.register(); return import(workerData.module); })
        .then(({ PocketSphinxDecoder }) => {
          const decoder = new PocketSphinxDecoder();
          parentPort.postMessage(decoder.recognize(workerData.pcm).text);
          decoder.free();
        });`;
    const tsx = import.meta.resolve('tsx/esm/api');
    const module = sourceModuleUrl('engines/stt/pocketsphinx/decoder.ts');
    const texts = await Promise.all(
      [0, 1].map(
        () =>
          new Promise<string>((resolve, reject) => {
            const worker = new Worker(source, { eval: true, workerData: { tsx, module, pcm } });
            worker.once('message', (text: string) => {
              resolve(text);
              void worker.terminate();
            });
            worker.once('error', reject);
          }),
      ),
    );
    assert.deepEqual(texts, [expected, expected]);
  });

  test('a freed decoder refuses work', () => {
    const d = new PocketSphinxDecoder();
    d.free();
    d.free();
    assert.throws(() => d.recognize(speech.get('slt')![0]!), /freed/);
  });
});
