/**
 * The audio of a stored voice (16 kHz mono, at most the 120 s of its reference), kept beside its
 * embedding so a converter that needs the voice itself (kNN-VC's matching set, OpenVoice's
 * reference) can use it, whenever that converter is installed. Deleted with the voice. On disk by
 * default; in the cluster's bucket when it has one (s3-voice-audio-store.ts), so every node has it.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface VoiceAudio {
  save(id: string, pcm: Int16Array): Promise<void>;
  /** Undefined when the voice has no stored audio. */
  load(id: string): Promise<Int16Array | undefined>;
  remove(id: string): Promise<void>;
}

/** Voice ids come from URLs: never let one name another file or key. */
export function voiceAudioName(id: string): string {
  if (!/^emb_[0-9a-f]{24}$/.test(id)) throw new RangeError(`not a voice id: ${id}`);
  return `${id}.pcm`;
}

/** Int16 samples from stored bytes (a trailing odd byte dropped). */
export function pcmOfBytes(bytes: Uint8Array): Int16Array {
  return new Int16Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength - (bytes.byteLength % 2)));
}

export class VoiceAudioStore implements VoiceAudio {
  constructor(private readonly dir: string) {}

  private path(id: string): string {
    return join(this.dir, voiceAudioName(id));
  }

  async save(id: string, pcm: Int16Array): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    await writeFile(this.path(id), new Uint8Array(pcm.buffer, pcm.byteOffset, pcm.byteLength));
  }

  async load(id: string): Promise<Int16Array | undefined> {
    try {
      return pcmOfBytes(await readFile(this.path(id)));
    } catch {
      return undefined;
    }
  }

  async remove(id: string): Promise<void> {
    await rm(this.path(id), { force: true });
  }
}
