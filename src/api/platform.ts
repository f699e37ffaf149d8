/** `GET /v1/health/`, `/v1/models/`, `/v1/voices/` — open to everyone, no key needed. */
import { STT_CREDITS_PER_MINUTE } from '../accounts/billing.js';
import { ApiError } from '../errors.js';
import type { HttpExchange } from '../http/exchange.js';
import type { Router } from '../http/router.js';
import { baseUrl, type ApiContext } from './context.js';
import { previewPath, voicePreview, voicePreviewFile } from './voice-preview.js';

const GENDERS = new Set(['male', 'female', 'neutral']);
/** A shared backend that has not answered in this long counts as unreachable in health. */
const BACKEND_PROBE_MS = 1000;

interface HealthBody {
  status: 'online' | 'degraded';
  latency_ms: number;
  queue_size: number;
  models_loaded: string[];
  checked_at: string;
  node?: { id: string; role: 'serve' | 'worker' };
  backends?: Awaited<ReturnType<NonNullable<ApiContext['backends']>['probe']>>;
}

export function registerPlatformRoutes(router: Router, ctx: ApiContext): void {
  // The body is serialized once per probe: a health check under load is a string write.
  let cached: { body: HealthBody; json: string; at: number } | null = null;
  const cacheControl = { 'Content-Type': 'application/json', 'Cache-Control': `max-age=${ctx.config.healthCacheSeconds}` };
  let inFlight: Promise<HealthBody> | null = null;

  // The probe is a real synthesis through the default engine, so `latency_ms` measures the
  // thing clients wait on. Cached, so health checks cannot load the server.
  const probe = async (): Promise<HealthBody> => {
    const started = performance.now();
    let ok = true;
    try {
      const { engine, voice } = ctx.tts.resolve({});
      const signal = AbortSignal.timeout(5000);
      for await (const _ of engine.synthesize({ text: 'ok', voice: voice.id, language: 'en', speed: 1, priority: 'first' }, signal)) break;
    } catch {
      ok = false;
    }
    return {
      status: ok ? 'online' : 'degraded',
      latency_ms: Math.round(performance.now() - started),
      queue_size: ctx.queue.size + ctx.tts.queueSize() + ctx.pool.queueSize,
      models_loaded: [...ctx.tts.models(), ...ctx.stt.models()].filter((m) => m.loaded).map((m) => m.id),
      checked_at: new Date().toISOString(),
      ...(ctx.backends ? { node: { id: ctx.backends.nodeId, role: ctx.backends.role }, backends: await ctx.backends.probe(BACKEND_PROBE_MS) } : {}),
    };
  };

  const answer = (ex: HttpExchange, c: { body: HealthBody; json: string }): void => ex.send(c.body.status === 'online' ? 200 : 503, cacheControl, c.json);
  // Synchronous while the cached answer is fresh: no promise per health check.
  router.get('/v1/health', (ex) => {
    const now = Date.now();
    if (cached && now - cached.at <= ctx.config.healthCacheSeconds * 1000) return answer(ex, cached);
    inFlight ??= probe().finally(() => {
      inFlight = null;
    });
    return inFlight.then((body) => {
      cached = { body, json: JSON.stringify(body), at: now };
      answer(ex, cached);
    });
  });

  router.get('/v1/models', (ex) => {
    const models = ctx.tts.models().map((m) => ({
      id: m.id,
      name: m.name,
      type: m.type,
      tier: m.tier,
      languages: m.languages,
      supports_cloning: m.supports_cloning,
      supports_streaming: m.supports_streaming,
      credits_per_1k_chars: m.credits_per_1k_chars,
      installed: m.installed,
      loaded: m.loaded,
      // Installed files that cannot be used (a corrupt Piper voice), each with why.
      ...(m.failures.length > 0 ? { failed: m.failures.map((f) => ({ voice: f.voice, reason: f.reason })) } : {}),
      ...(m.installed ? {} : { install_hint: m.install_hint ?? `llais models pull ${m.id}` }),
    }));
    // Speech-to-text models beside them, with every field API.md shows for a model: they are
    // priced per audio minute, not by a TTS tier, so `tier` and `credits_per_1k_chars` are null;
    // streaming means live recognition (the Realtime endpoint). `failed`: why an installed one cannot be used.
    const sttModels = ctx.stt.models().map((m) => ({
      id: m.id,
      name: m.name,
      type: m.type,
      tier: null,
      languages: m.languages,
      supports_cloning: false,
      supports_streaming: m.capabilities.live,
      credits_per_1k_chars: null,
      credits_per_audio_minute: STT_CREDITS_PER_MINUTE,
      capabilities: m.capabilities,
      installed: m.installed,
      loaded: m.loaded ?? false,
      ...(m.failed !== undefined ? { failed: m.failed } : {}),
      ...(m.installed ? {} : { install_hint: m.install_hint ?? `llais models pull ${m.id}` }),
    }));
    ex.json(200, { models: [...models, ...sttModels], total: models.length + sttModels.length });
  });

  router.get('/v1/voices', (ex) => listVoices(ctx, ex));
  router.get('/v1/voices/:id/preview', (ex) => voicePreview(ctx, ex));
  router.get('/v1/voices/preview/:file', (ex) => voicePreviewFile(ctx, ex));
}

function listVoices(ctx: ApiContext, ex: HttpExchange): void {
  const model = ex.query.get('model') || undefined;
  const language = ex.query.get('language')?.toLowerCase().replace('_', '-') || undefined;
  const gender = ex.query.get('gender')?.toLowerCase() || undefined;
  if (gender && !GENDERS.has(gender)) throw new ApiError('invalid_value', "'gender' must be one of: male, female, neutral", 'gender');
  if (model && !ctx.tts.models().some((m) => m.id === model)) {
    throw new ApiError('model_not_found', `Unknown model '${model}'. GET /v1/models/ lists the models.`, 'model');
  }
  const base = baseUrl(ctx, ex);
  const voices = ctx.tts
    .voices()
    .filter((v) => !model || v.model === model)
    // `en` matches `en-us` and `en-gb`; `en-us` matches only itself.
    .filter((v) => !language || v.language.toLowerCase() === language || v.language.toLowerCase().startsWith(`${language}-`))
    .filter((v) => !gender || v.gender === gender)
    .map((v) => ({ id: v.id, name: v.name, model: v.model, language: v.language, gender: v.gender, preview_url: `${base}${previewPath(v.id)}` }));
  ex.json(200, { voices, total: voices.length });
}
