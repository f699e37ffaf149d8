/**
 * The audio of a stored voice (16 kHz mono, at most the 120 s of its reference), kept on disk
 * beside its embedding so a converter that needs the voice itself (kNN-VC's matching set) can use
 * it, whenever that converter is installed. Deleted with the voice.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export class VoiceAudioStore {
  constructor(private readonly dir: string) {}

  private path(id: string): string {
    if (!/^emb_[0-9a-f]{24}$/.test(id)) throw new RangeError(`not a voice id: ${id}`);
    return join(this.dir, `${id}.pcm`);
  }

  async save(id: string, pcm: Int16Array): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    await writeFile(this.path(id), new Uint8Array(pcm.buffer, pcm.byteOffset, pcm.byteLength));
  }

  async load(id: string): Promise<Int16Array | undefined> {
    try {
      const bytes = await readFile(this.path(id));
      return new Int16Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength - (bytes.byteLength % 2)));
    } catch {
      return undefined;
    }
  }

  async remove(id: string): Promise<void> {
    await rm(this.path(id), { force: true });
  }
}
