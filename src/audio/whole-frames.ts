/**
 * Regroups an encoder's output, which arrives in whatever pieces the pipe delivers, into pieces
 * that each hold whole frames: MP3 frames, ADTS frames, Ogg pages, FLAC's header then its frames.
 * A client can then hand each piece to a decoder as it comes (the SSE `speech.audio.delta`
 * contract). A piece is passed on as soon as it ends on a boundary, so this adds no delay except
 * for FLAC, whose frame is known whole only when the next one starts (one 20 ms frame).
 */
import { adtsFrameLength } from './adts-frames.js';
import { FlacSplitter } from './flac-frames.js';
import type { AudioFormat } from './formats.js';
import { mp3FrameLength } from './mp3-frames.js';
import { oggPageLength } from './ogg-pages.js';

/** Bytes of the first unit in `buf`, 0 while it may be incomplete; throws on bytes that are no unit. */
type UnitLength = (buf: Uint8Array, atEnd: boolean) => number;

function unitLengthFor(format: AudioFormat): UnitLength | null {
  switch (format) {
    case 'mp3':
      return mp3FrameLength;
    case 'aac':
      return adtsFrameLength;
    case 'ogg':
    case 'opus':
      return oggPageLength;
    case 'flac': {
      const splitter = new FlacSplitter();
      return (buf, atEnd) => splitter.unitLength(buf, atEnd);
    }
    // Framed in-process in whole samples: every piece is already whole.
    case 'pcm':
    case 'wav':
      return null;
    default: {
      const unknown: never = format;
      throw new TypeError(`unknown audio format ${String(unknown)}`);
    }
  }
}

/**
 * `bytes` (one `format` stream) in pieces of whole frames. Throws if the stream holds bytes that
 * are no frame of `format`, or ends inside one.
 */
export async function* wholeFrames(bytes: AsyncIterable<Uint8Array>, format: AudioFormat): AsyncGenerator<Uint8Array> {
  const unitLength = unitLengthFor(format);
  if (unitLength === null) {
    yield* bytes;
    return;
  }
  let held: Uint8Array = new Uint8Array(0);
  const whole = (atEnd: boolean): number => {
    let end = 0;
    for (;;) {
      const n = unitLength(held.subarray(end), atEnd);
      if (n === 0 || end + n > held.length) return end;
      end += n;
    }
  };
  for await (const chunk of bytes) {
    held = held.length === 0 ? chunk : concat(held, chunk);
    const end = whole(false);
    if (end === 0) continue;
    yield held.subarray(0, end);
    held = held.subarray(end);
  }
  const end = whole(true);
  if (end !== held.length) throw new Error(`the ${format} encoder's output ends inside a frame`);
  if (end > 0) yield held;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
