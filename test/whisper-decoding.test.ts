/**
 * Whisper's decoding loop (src/engines/stt/whisper/transcribe.ts, decode-window.ts,
 * logit-filters.ts, word-timing.ts) against a scripted `WhisperModel`: a language model over a
 * byte-level vocabulary in OpenAI's multilingual layout whose next-token distribution is written
 * out per test, with a KV "cache" that is the rows' histories, so beam reordering, prompts,
 * seeks and timestamp rules are checked against what transcribe.py would do. The ONNX adapter
 * is tested on generated ONNX models elsewhere (whisper-onnx, e2e-whisper).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeWindow, compressionRatio } from '../src/engines/stt/whisper/decode-window.js';
import { createLogitFilters, nonSpeechTokens } from '../src/engines/stt/whisper/logit-filters.js';
import type { DecoderCache, DecoderStep, EncodedAudio, WhisperModel } from '../src/engines/stt/whisper/model.js';
import { WhisperTokenizer } from '../src/engines/stt/whisper/tokenizer.js';
import { transcribeWhisper, segmentsOfWindow } from '../src/engines/stt/whisper/transcribe.js';
import { vocabularyFromTiktoken } from '../src/engines/stt/whisper/vocabulary-sources.js';
import { dtw } from '../src/engines/stt/whisper/word-timing.js';

const N_VOCAB = 51865;

/**
 * Bytes as ranks 0..255, a space joined to each letter and to `-` and `'` (so a blank is not one
 * of the suppressed non-speech tokens, as in the real vocabulary), and a last line at 50256, so
 * `<|endoftext|>` is 50257 as in multilingual.tiktoken.
 */
function byteTokenizer(): WhisperTokenizer {
  const lines: string[] = [];
  for (let b = 0; b < 256; b++) lines.push(`${Buffer.from([b]).toString('base64')} ${b}`);
  const joined = [..."-'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"].map((c) => ' ' + c);
  joined.forEach((t, i) => lines.push(`${Buffer.from(t).toString('base64')} ${256 + i}`));
  lines.push(`${Buffer.from('zz').toString('base64')} 50256`);
  return new WhisperTokenizer(vocabularyFromTiktoken(lines.join('\n')), { numLanguages: 99 });
}

const tok = byteTokenizer();
const S = tok.special;
const ts = (seconds: number): number => S.timestampBegin + Math.round(seconds / 0.02);
const text = (t: string): number[] => tok.encode(t);

interface ToyAudio extends EncodedAudio {
  window: number;
  loud: boolean;
}
interface ToyCache extends DecoderCache {
  histories: number[][];
}

/** What the scripted model prefers next: token -> logit; everything else gets -20. */
type Script = (history: readonly number[], audio: ToyAudio) => Map<number, number>;

class ScriptedModel implements WhisperModel {
  readonly dims = { nMels: 80, nAudioCtx: 1500, nTextCtx: 448, nVocab: N_VOCAB };
  readonly hasCrossAttention = false;
  readonly alignmentHeads = [];
  encodes = 0;
  decodeCalls = 0;
  /** Each row's full history after the latest decode call: what a real KV cache would hold. */
  lastHistories: number[][] = [];
  constructor(private readonly script: Script) {}

  async encode(mel: Float32Array): Promise<EncodedAudio> {
    let max = -Infinity;
    for (const v of mel) max = Math.max(max, v);
    return { kind: 'whisper-encoded', window: this.encodes++, loud: max > -0.5 } as ToyAudio;
  }

  async decode(audio: EncodedAudio, tokens: readonly (readonly number[])[], cache: DecoderCache | null): Promise<DecoderStep> {
    this.decodeCalls++;
    const previous = (cache as ToyCache | null)?.histories ?? tokens.map(() => []);
    assert.equal(previous.length, tokens.length, 'one cache row per fed row');
    const positions = tokens[0].length;
    const logits = new Float32Array(tokens.length * positions * N_VOCAB).fill(-20);
    const histories = tokens.map((row, r) => {
      const history = [...previous[r]];
      row.forEach((token, p) => {
        history.push(token);
        for (const [id, logit] of this.script(history, audio as ToyAudio)) logits[(r * positions + p) * N_VOCAB + id] = logit;
      });
      return history;
    });
    this.lastHistories = histories;
    return { logits, rows: tokens.length, positions, cache: { length: histories[0].length, rows: histories.length, histories } as ToyCache };
  }

  selectRows(cache: DecoderCache, rows: readonly number[]): DecoderCache {
    const histories = rows.map((r) => [...(cache as ToyCache).histories[r]]);
    return { length: cache.length, rows: rows.length, histories } as ToyCache;
  }

  async release(): Promise<void> {}
}

/** Follows `target` (after the sot sequence) with a sure logit; after it, EOT. */
function follow(target: readonly number[], sotLength: number): Script {
  return (history) => {
    const sot = history.lastIndexOf(S.sot);
    const sampled = history.length - (sot + sotLength);
    if (sampled < 0) return new Map();
    return new Map([[target[sampled] ?? S.eot, 10]]);
  };
}

function tone(seconds: number): Float32Array {
  const out = new Float32Array(Math.round(seconds * 16000));
  for (let i = 0; i < out.length; i++) out[i] = 0.5 * Math.sin((2 * Math.PI * 440 * i) / 16000);
  return out;
}

describe('Whisper decoding loop', () => {
  test('greedy decoding with timestamps gives the scripted segments, times and text', async () => {
    const target = [ts(0), ...text(' Hello there.'), ts(1.5), ts(1.5), ...text(' Bye.'), ts(2.4)];
    const model = new ScriptedModel(follow(target, 3));
    const result = await transcribeWhisper(model, tok, tone(4), { language: 'en', task: 'transcribe', wordTimestamps: false, beamSize: 1 });
    assert.equal(result.text, 'Hello there. Bye.');
    assert.deepEqual(result.segments.map((s) => [s.start, s.end, s.text]), [[0, 1.5, 'Hello there.'], [1.5, 2.4, 'Bye.']]);
    assert.equal(result.language, 'en');
    assert.equal(model.encodes, 1, 'a 4 s file is one window');
  });

  test('long audio: windows advance to the last complete segment and times carry the window offset', async () => {
    // Each window says one 10 s sentence and leaves the rest unfinished, so seek moves 10 s at a time.
    const script: Script = (history) => {
      const sot = history.lastIndexOf(S.sot);
      const sampled = history.slice(sot + 3);
      const plan = [ts(0), ...text(' word'), ts(10), ts(10), ...text(' more')];
      return new Map([[plan[sampled.length] ?? S.eot, 10]]);
    };
    const model = new ScriptedModel(script);
    const result = await transcribeWhisper(model, tok, tone(35), { language: 'en', task: 'transcribe', wordTimestamps: false, beamSize: 1 });
    assert.deepEqual(result.segments.map((s) => s.start), [0, 10, 20, 30]);
    assert.equal(model.encodes, 4);
  });

  test('previous text prompts the next window after <|startofprev|>', async () => {
    const prompts: number[][] = [];
    const script: Script = (history) => {
      const sot = history.lastIndexOf(S.sot);
      if (history.length === sot + 1 && history[0] === S.sotPrev) prompts.push(history.slice(1, sot));
      const plan = [ts(0), ...text(' hi'), ts(30)];
      return new Map([[plan[history.length - sot - 3] ?? S.eot, 10]]);
    };
    await transcribeWhisper(new ScriptedModel(script), tok, tone(45), { language: 'en', task: 'transcribe', wordTimestamps: false, beamSize: 1, initialPrompt: 'Glossary' });
    assert.deepEqual(prompts[0], text(' Glossary'));
    assert.deepEqual(prompts[1], [...text(' Glossary'), ts(0), ...text(' hi'), ts(30)]);
  });

  test('beam search keeps a path greedy decoding drops', async () => {
    // After the opening timestamp: ' a' (logit 1) then a doubtful continuation, or ' b' (logit 0.6) then a sure end.
    const script: Script = (history) => {
      const sampled = history.slice(history.lastIndexOf(S.sot) + 3);
      if (sampled.length === 0) return new Map([[ts(0), 10]]);
      if (sampled.length === 1) return new Map([[text(' a')[0], 1], [text(' b')[0], 0.6]]);
      if (sampled.length === 2) {
        if (sampled[1] === text(' b')[0]) return new Map([[ts(1), 10]]);
        // After ' a' the model hesitates between three letters (and a less likely timestamp).
        return new Map([[ts(1), -1], [text('x')[0], 0], [text('y')[0], 0], [text('z')[0], 0]]);
      }
      return new Map([[S.eot, 10]]);
    };
    const audio = await new ScriptedModel(script).encode(new Float32Array(80 * 3000));
    const sot = tok.sotSequence({ language: 'en', task: 'transcribe', timestamps: true });
    const common = { initialTokens: sot, temperature: 0, bestOf: 1, timestamps: true, random: Math.random };
    const greedy = await decodeWindow(new ScriptedModel(script), tok, audio, { ...common, beamSize: 1 });
    const beamModel = new ScriptedModel(script);
    const beam = await decodeWindow(beamModel, tok, audio, { ...common, beamSize: 5 });
    assert.equal(greedy.tokens[1], text(' a')[0]);
    assert.equal(beam.tokens[1], text(' b')[0]);
    assert.ok(beam.avgLogprob > greedy.avgLogprob);
    // The winning beam's cache followed it through the reorderings.
    assert.ok(beamModel.lastHistories.some((h) => h.join() === [...sot, ...beam.tokens].join()), 'the cache rows were reordered with the beams');
  });

  test('language auto: the likeliest language token after <|startoftranscript|> is the language', async () => {
    const de = tok.languageToken('de') as number;
    const script: Script = (history, audio) => {
      if (history.length === 1 && history[0] === S.sot) return new Map([[de, 5], [tok.languageToken('en') as number, 3]]);
      const sot = history.lastIndexOf(S.sot);
      if (sot < 0) return new Map();
      assert.equal(history[sot + 1], de, 'the detected language is in the prompt: ' + history.join(','));
      return follow([ts(0), ...text(' Hallo'), ts(1)], 3)(history, audio);
    };
    const result = await transcribeWhisper(new ScriptedModel(script), tok, tone(2), { language: 'auto', task: 'transcribe', wordTimestamps: false, beamSize: 1 });
    assert.equal(result.language, 'de');
    assert.equal(result.text, 'Hallo');
  });

  test('a window the model calls silent (no-speech probability high, text improbable) is skipped', async () => {
    const script: Script = (history, audio) => {
      const sot = history.lastIndexOf(S.sot);
      if (!audio.loud && history.length === sot + 1) return new Map([[S.noSpeech, 10]]);
      if (!audio.loud) return new Map();
      return follow([ts(0), ...text(' yes'), ts(1)], 3)(history, audio);
    };
    const audio = new Float32Array(16000 * 40);
    audio.set(tone(5), 16000 * 32);
    const result = await transcribeWhisper(new ScriptedModel(script), tok, audio, { language: 'en', task: 'transcribe', wordTimestamps: false, beamSize: 1, temperatures: [0] });
    assert.deepEqual(result.segments.map((s) => [s.start, s.text]), [[30, 'yes']]);
  });

  test('repetitive output falls back to a higher temperature', async () => {
    const temperaturesTried: number[] = [];
    let calls = 0;
    const script: Script = (history) => {
      const sot = history.lastIndexOf(S.sot);
      if (history.length === sot + 3) temperaturesTried.push(calls++);
      const sampled = history.length - sot - 3;
      if (sampled === 0) return new Map([[ts(0), 10]]);
      // The first pass loops on one word; every later pass ends after it.
      if (calls === 1) return new Map([[sampled < 200 ? text(' l')[0] : S.eot, 10]]);
      return new Map([[sampled === 1 ? text(' l')[0] : sampled === 2 ? ts(1) : S.eot, 10]]);
    };
    const result = await transcribeWhisper(new ScriptedModel(script), tok, tone(2), { language: 'en', task: 'transcribe', wordTimestamps: false, beamSize: 1 });
    assert.ok(compressionRatio(' la'.repeat(199)) > 2.4);
    assert.equal(temperaturesTried.length, 2, 'the repetitive pass was retried once');
    assert.equal(result.text, 'l');
  });

  test('word timestamps without cross-attention share the segment by characters', async () => {
    const model = new ScriptedModel(follow([ts(0), ...text(' one three.'), ts(2.4)], 3));
    const result = await transcribeWhisper(model, tok, tone(3), { language: 'en', task: 'transcribe', wordTimestamps: true, beamSize: 1 });
    // Trailing punctuation stays with its word ('three.') and counts toward its share.
    assert.deepEqual(result.segments[0].words, [
      { word: 'one', start: 0, end: 0.8 },
      { word: 'three.', start: 0.8, end: 2.4 },
    ]);
  });
});

describe('Whisper logit filters and alignment', () => {
  test('timestamp rules: the first token is a timestamp within 1 s, pairs close, times never go back', () => {
    const sot = tok.sotSequence({ language: 'en', task: 'transcribe', timestamps: true });
    const filters = createLogitFilters(tok, { sampleBegin: sot.length, timestamps: true, maxInitialTimestampIndex: 50 });
    const at = (tokens: number[]): Float32Array => {
      const l = new Float32Array(N_VOCAB);
      filters.apply(l, [...sot, ...tokens]);
      return l;
    };
    const first = at([]);
    assert.equal(first[text('a')[0]], -Infinity);
    assert.equal(first[ts(1)], 0);
    assert.equal(first[ts(1.02)], -Infinity);
    const afterText = at([ts(0.5), ...text('a')]);
    assert.equal(afterText[ts(0.48)], -Infinity, 'no earlier timestamp');
    assert.equal(afterText[ts(0.5)], -Infinity, 'no empty segment');
    const afterClose = at([ts(0.5), ...text('a'), ts(1)]);
    assert.equal(afterClose[text('b')[0]], -Infinity, 'a closing timestamp is followed by an opening one or EOT');
    assert.equal(afterClose[ts(1)], 0);
    const afterPair = at([ts(0.5), ...text('a'), ts(1), ts(1)]);
    assert.equal(afterPair[ts(2)], -Infinity, 'after a pair comes text');
    assert.equal(afterPair[S.noTimestamps], -Infinity);
  });

  test('non-speech symbols are suppressed, hyphen and apostrophe inside words are not', () => {
    const ids = new Set(nonSpeechTokens(tok));
    for (const symbol of ['♪', '(', '[', '"']) assert.ok(ids.has(text(symbol)[0]), symbol);
    assert.ok(!ids.has(text('-')[0]) || text(' -')[0] === text('-')[0]);
    assert.ok(!ids.has(text('a')[0]));
  });

  test('segments of one window: pairs cut segments; an unfinished last segment moves seek to its start', () => {
    const tokens = [ts(0), ...text(' a'), ts(2), ts(2), ...text(' b'), ts(4), ts(5), ...text(' c')];
    const { current, nextSeek } = segmentsOfWindow(tok, tokens, 1000, 3000, 30, 10);
    assert.deepEqual(current.map((c) => [c.start, c.end]), [[10, 12], [12, 14]]);
    assert.equal(nextSeek, 1000 + 4 * 100, 'mel frames are 10 ms');
  });

  test('DTW follows the cheap diagonal of a cost matrix', () => {
    const n = 3;
    const m = 6;
    const cost = new Float64Array(n * m).fill(1);
    for (let i = 0; i < n; i++) cost[i * m + i * 2] = cost[i * m + i * 2 + 1] = -1;
    const { textIndices, timeIndices } = dtw(cost, n, m);
    assert.deepEqual(textIndices, [0, 0, 1, 1, 2, 2]);
    assert.deepEqual(timeIndices, [0, 1, 2, 3, 4, 5]);
  });
});
