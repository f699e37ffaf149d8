/**
 * The Silero VAD the live endpoints share (`/v1/realtime`, `/v1/stt/ws`): loaded on the first
 * session that needs it, once; a failed load is retried by the next session.
 */
import { SileroVad } from '../engines/vad/silero-vad.js';
import { ApiError } from '../errors.js';

/** A loader for one route's sessions. */
export function vadLoader(): () => Promise<SileroVad> {
  let vad: Promise<SileroVad> | null = null;
  return () => {
    vad ??= SileroVad.load().catch((err: unknown) => {
      vad = null;
      throw new ApiError('vad_unavailable', 'The voice activity model failed to load; server VAD is unavailable (turn_detection: null still works).', null, { cause: err });
    });
    return vad;
  };
}
