/**
 * Response bodies of the discovery endpoints (`/v1/health/`, `/v1/models/`, `/v1/voices/`),
 * stated once here for the OpenAPI document; test/openapi.test.ts checks real responses against
 * them, so the document cannot drift from what the handlers send.
 */
import { z } from 'zod';

function backendStatus(kinds: string) {
  return z.strictObject({ kind: z.string().meta({ description: kinds }), reachable: z.boolean() });
}

export const healthResponse = z.strictObject({
  status: z.enum(['online', 'degraded']).meta({ description: "'degraded' (with HTTP 503) when the default engine failed its probe synthesis." }),
  latency_ms: z.number().int().min(0).meta({ description: 'How long a one-word probe synthesis took, in milliseconds.' }),
  queue_size: z.number().int().min(0),
  models_loaded: z.array(z.string()),
  checked_at: z.string().meta({ description: 'When the (cached) probe ran, ISO 8601.' }),
  node: z.strictObject({ id: z.string(), role: z.enum(['serve', 'worker']) }).optional().meta({ description: "This node's id (`LLAIS_NODE_ID`) and role (`llais serve` or `llais worker`); docs/cluster.md." }),
  backends: z
    .strictObject({ queue: backendStatus('`embedded` (in-process) or `redis` (BullMQ, `LLAIS_REDIS_URL`)'), results: backendStatus('`disk` or `s3` (`LLAIS_S3_*`)'), database: backendStatus('`sqlite` (the data directory) or `postgres` (`LLAIS_DATABASE_URL`)') })
    .optional()
    .meta({ description: "Each backend this node uses and whether it reached it at the probe. An unreachable one does not make `status` degraded: streaming still works; queued work gets 503 `queue_unavailable` while the queue is unreachable." }),
});

const installHint = z.string().meta({ description: 'The command that installs a model that is not installed.' });

const ttsModel = z.strictObject({
  id: z.string(),
  name: z.string(),
  type: z.literal('tts'),
  tier: z.enum(['free', 'standard', 'premium']),
  languages: z.array(z.string()),
  supports_cloning: z.boolean(),
  supports_streaming: z.boolean(),
  credits_per_1k_chars: z.number(),
  installed: z.boolean(),
  loaded: z.boolean(),
  failed: z.array(z.strictObject({ voice: z.string(), reason: z.string() })).optional().meta({ description: 'Installed voices that cannot be used, each with why.' }),
  install_hint: installHint.optional(),
});

const sttModel = z.strictObject({
  id: z.string(),
  name: z.string(),
  type: z.literal('stt'),
  tier: z.null().meta({ description: 'Speech-to-text is priced per audio minute, not by a TTS tier.' }),
  languages: z.array(z.string()),
  supports_cloning: z.literal(false),
  supports_streaming: z.boolean().meta({ description: 'Live recognition (the Realtime endpoint).' }),
  credits_per_1k_chars: z.null(),
  credits_per_audio_minute: z.number(),
  capabilities: z.strictObject({ wordTimestamps: z.boolean(), translation: z.boolean(), live: z.boolean(), diarization: z.boolean() }),
  installed: z.boolean(),
  loaded: z.boolean(),
  failed: z.string().optional().meta({ description: 'Why an installed model cannot be used.' }),
  install_hint: installHint.optional(),
});

export const modelsResponse = z.strictObject({
  models: z.array(z.union([ttsModel, sttModel])),
  total: z.number().int().min(0),
});

export const voicesResponse = z.strictObject({
  voices: z.array(
    z.strictObject({
      id: z.string(),
      name: z.string(),
      model: z.string(),
      language: z.string(),
      gender: z.enum(['male', 'female', 'neutral']),
      preview_url: z.string().meta({ description: 'An absolute URL of a short sample of the voice (MP3).' }),
    }),
  ),
  total: z.number().int().min(0),
});
