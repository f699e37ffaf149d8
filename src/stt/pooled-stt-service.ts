/**
 * The STT service on the worker pool: the upload is written to the data directory (ffmpeg reads
 * files, and a 100 MB body should not be held twice), probed so that what is not usable audio
 * is a 415/422 before any work is queued, then transcribed by a pool worker.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { probeUpload } from '../audio/decode-stream.js';
import { ApiError } from '../errors.js';
import type { UploadedFile } from '../http/body.js';
import type { WorkerPool } from '../workers/pool.js';
import type { SttService, TranscribeOptions } from './service.js';
import type { Transcript } from './transcript.js';

/** As OpenAI: shorter audio is almost always a truncated or broken upload. */
const MIN_AUDIO_SEC = 0.1;

/** PocketSphinx ships only its US-English models. */
const BUILTIN_LANGUAGES = ['en'] as const;

export class PooledSttService implements SttService {
  readonly languages: readonly string[] = BUILTIN_LANGUAGES;

  constructor(
    private readonly pool: WorkerPool,
    private readonly uploadDir: string,
  ) {}

  async transcribe(file: UploadedFile, opts: TranscribeOptions, signal: AbortSignal): Promise<Transcript> {
    await mkdir(this.uploadDir, { recursive: true });
    // The client's file name only contributes a sanitized extension, never a path.
    const ext = extname(file.filename).toLowerCase().replace(/[^.a-z0-9]/g, '').slice(0, 6);
    const path = join(this.uploadDir, `${randomUUID()}${ext}`);
    await writeFile(path, file.data);
    try {
      const info = await probeUpload(path);
      if (info.durationSec < MIN_AUDIO_SEC) {
        throw new ApiError(422, 'audio_too_short', `The audio is ${info.durationSec.toFixed(3)} s long; the minimum is ${MIN_AUDIO_SEC} s (a truncated upload?)`, 'file');
      }
      signal.throwIfAborted();
      return await this.pool.transcribe(
        { kind: 'transcribe', path, language: opts.language, wordTimestamps: opts.wordTimestamps, diarize: opts.diarize },
        signal,
        { onSegment: opts.onSegment ? (segment) => opts.onSegment!(segment.text) : undefined },
      );
    } finally {
      await rm(path, { force: true });
    }
  }
}
