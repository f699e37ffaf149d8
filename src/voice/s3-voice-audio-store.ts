/**
 * Stored voices' audio in the cluster's bucket (`voices/<embed id>.pcm`), so a voice embedded
 * through one node converts with an audio-based converter (kNN-VC, OpenVoice) on any other, as its
 * embedding (in Postgres) already does.
 */
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { S3Settings } from '../cluster/cluster-config.js';
import { isMissingObject, s3ClientFor } from '../jobs/s3-client.js';
import { pcmOfBytes, voiceAudioName, type VoiceAudio } from './voice-audio-store.js';

export class S3VoiceAudioStore implements VoiceAudio {
  private readonly client: S3Client;

  constructor(private readonly settings: S3Settings) {
    this.client = s3ClientFor(settings);
  }

  private key(id: string): string {
    return `voices/${voiceAudioName(id)}`;
  }

  async save(id: string, pcm: Int16Array): Promise<void> {
    const body = new Uint8Array(pcm.buffer, pcm.byteOffset, pcm.byteLength);
    await this.client.send(new PutObjectCommand({ Bucket: this.settings.bucket, Key: this.key(id), Body: body, ContentLength: body.byteLength }));
  }

  async load(id: string): Promise<Int16Array | undefined> {
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.settings.bucket, Key: this.key(id) }));
      return pcmOfBytes(await res.Body!.transformToByteArray());
    } catch (err) {
      if (isMissingObject(err)) return undefined;
      throw err;
    }
  }

  async remove(id: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.settings.bucket, Key: this.key(id) }));
  }
}
