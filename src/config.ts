/**
 * The one home of configuration: embedded defaults < JSON config file < environment.
 * Nothing else in the server reads `process.env`.
 */
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { resolve } from 'node:path';
import type { PlanOverrides } from './accounts/plans.js';
import { WEBHOOK_ENV_KEYS, webhookSettings, type WebhookSettings } from './batch/webhook-settings.js';
import { CLUSTER_DEFAULTS, clusterSettingsFrom, type ClusterSettings } from './cluster/cluster-config.js';

export type { WebhookSettings } from './batch/webhook-settings.js';

export interface Config {
  host: string;
  port: number;
  /** Absolute URL clients reach us at, for `result_url`; derived from the request when empty. */
  publicUrl: string;
  dataDir: string;
  modelsDir: string;
  /**
   * Base URL that `llais models pull` fetches `<id>/<file>` from instead of each file's
   * upstream URL (air-gapped installs); empty: upstream.
   */
  modelsMirror: string;
  logLevel: string;
  /** Model used when a request names neither a model nor a voice; `auto`: kokoro when installed, else flite. */
  defaultModel: string;
  /** Voice used when `/v1/tts/*` names a model but no voice; `auto`: af_bella for kokoro, flite-slt for flite. */
  defaultVoice: string;
  maxTextChars: number;
  maxJsonBodyBytes: number;
  /** Largest audio upload (STT, voice chat); a bigger one is refused with 413 as soon as it passes this. */
  maxUploadBytes: number;
  /** Longest upload the audio tools (enhance, separate, dereverb, convert, analyze) take; longer: 413 `audio_too_long`. */
  audioToolsMaxDurationSec: number;
  /**
   * Uploads being received at once, all endpoints together; beyond it 503 with Retry-After.
   * Each costs a file descriptor and a few chunks of memory while it streams to disk.
   */
  maxConcurrentUploads: number;
  ttsWorkers: number;
  /**
   * Each TTS worker synthesizes a few sentences with every built-in engine before the server
   * listens, so no request pays for wasm start-up or cold JIT (eSpeak's first sentences run
   * 20-40x slower). Off: ~3 s faster start, slower first requests (tests, development).
   */
  ttsWarmUp: boolean;
  /**
   * Longest first piece of a synthesized text, in characters: the first audio waits for it, and
   * on a busy server every stream's first piece queues for the same cores. 24 (about 1.5 s of
   * speech) cuts a long first sentence at a phrase; larger values keep more of the first
   * sentence in one piece (better phrasing, later first audio), e.g. 60.
   */
  ttsFirstChunkChars: number;
  ttsMaxQueue: number;
  /**
   * Start ffmpeg and ffprobe from a small long-lived helper process instead of forking this one,
   * which stalls the event loop on every start once the process is large (bench/spawn.ts: 50
   * starts from 600 MB, loop max 47.7 ms direct, 7.1 ms via the helper). Off: direct spawn.
   */
  audioSpawner: boolean;
  /** Worker threads for CPU-heavy work (decoding uploads, transcription). */
  poolWorkers: number;
  /** Tasks that may wait for a pool worker; beyond it requests get 503 with Retry-After. */
  poolMaxQueue: number;
  /** Queued synthesis jobs run this many at a time. */
  jobConcurrency: number;
  /** Jobs queued or running (recovered ones included); beyond it `POST /v1/tts/` gets 503 with Retry-After. */
  jobQueueMaxJobs: number;
  /** Characters of text in those jobs, summed; beyond it `POST /v1/tts/` gets 503 with Retry-After. */
  jobQueueMaxChars: number;
  resultTtlSeconds: number;
  sweepIntervalSeconds: number;
  /** How long SIGTERM waits for running streams before closing them. */
  shutdownGraceMs: number;
  corsOrigin: string;
  healthCacheSeconds: number;
  tls: { certFile: string; keyFile: string } | null;
  /**
   * OpenAI-compatible chat endpoint for voice replies (`https://api.openai.com/v1`,
   * `http://127.0.0.1:11434/v1`, ...); empty: the built-in echo responder.
   */
  llmBaseUrl: string;
  llmApiKey: string;
  llmModel: string;
  /** Longest wait for the LLM's first byte before the turn fails with an error. */
  llmTimeoutMs: number;
  /** Open live sessions (`/v1/realtime` and `/v1/tts/ws` together); beyond it the upgrade gets 503. */
  liveMaxSessions: number;
  /** A live session is closed after this long, whatever it is doing. */
  liveMaxSessionSeconds: number;
  /** A live session with no message from its client for this long is closed. */
  liveIdleTimeoutSeconds: number;
  /**
   * With server VAD, a turn this long is committed (transcribed and answered) even though the
   * speaker has not paused, and the client is told it was cut. Fractions allowed.
   */
  liveMaxTurnSeconds: number;
  /** Realtime input received but not yet processed (decoded audio bytes); beyond it appends are refused. */
  liveMaxPendingInputBytes: number;
  /** onnxruntime execution providers for neural models, comma-separated in order of preference (`cpu`, `cuda`, ...). */
  onnxProviders: string;
  /** Intra-op threads per neural model session; 0: 1 on CPU (the pools' workers are the parallelism). */
  onnxThreadsPerSession: number;
  /**
   * Model weights the worker threads may keep loaded, all together, in MiB; past it the least
   * recently used idle sessions are unloaded. 0: half of this machine's memory.
   */
  modelMemoryBudgetMb: number;
  /** Models to load when the server starts instead of on first use: comma-separated ids, or `all` (installed ones). */
  modelsLoadAtStart: string;
  /** Speech-to-text model when a request names none: `auto` = Whisper when one is installed, else PocketSphinx. */
  sttDefaultModel: string;
  /**
   * How live turns of PocketSphinx are decoded: `pool` (each turn holds a pool worker; the
   * default) or `pinned` (many turns per live recognition thread, poolWorkers of them, each turn
   * with its own ~90 MB decoder). `pinned` is experimental: on a loaded 2-core machine its p95
   * was worse than `pool`'s in most bench runs (bench/live-speakers.ts), and its memory grows
   * with concurrent turns.
   */
  sttLiveDecoders: string;
  /**
   * Which precision of a Whisper export's graphs to load: `auto` (float32 when present, else
   * the quantized ones), or `fp32`, `quantized`, `int8`, `uint8`, `fp16`, `q4`, `q4f16`, `bnb4`.
   */
  whisperVariant: string;
  /**
   * `auto`: open (no keys) while no key was ever created and the server listens on loopback,
   * the contract's key rules once one exists; `keys`: key rules always; `open`: no keys, on any
   * address (an explicit opt-in).
   */
  auth: string;
  /** Proxy addresses (comma-separated) whose `X-Forwarded-For` names the client; empty: the socket's address counts. */
  trustedProxies: string;
  /** When set, `GET /metrics` needs `Authorization: Bearer <metricsToken>`. */
  metricsToken: string;
  /** Per-plan changes to API.md's plan table (config file only), e.g. `{"pro": {"requests_per_minute": 120}}`. */
  plans: PlanOverrides | null;
  /** Batch completion webhooks (src/batch/): retries, timeout, and whether private targets are allowed. */
  webhooks: WebhookSettings;
  /** Shared backends for several nodes (src/cluster/cluster-config.ts, docs/cluster.md); none by default. */ cluster: ClusterSettings;
}

export const DEFAULTS: Config = {
  // Loopback unless asked: open mode (no keys) is only safe where nobody else can connect.
  host: '127.0.0.1',
  port: 8080,
  publicUrl: '',
  dataDir: './data',
  modelsDir: './models',
  modelsMirror: '',
  logLevel: 'info',
  defaultModel: 'auto',
  defaultVoice: 'auto',
  maxTextChars: 50_000,
  maxJsonBodyBytes: 1 << 20,
  maxUploadBytes: 100 << 20,
  // An hour: a long podcast episode; the tools stream in blocks, so length costs time, not memory.
  audioToolsMaxDurationSec: 3600,
  maxConcurrentUploads: 32,
  ttsWorkers: Math.max(1, cpus().length),
  ttsWarmUp: true,
  ttsFirstChunkChars: 24,
  ttsMaxQueue: 256,
  audioSpawner: true,
  poolWorkers: Math.max(1, cpus().length),
  poolMaxQueue: 32,
  jobConcurrency: 1,
  // Many tiny jobs cost per-job work (a row, a result directory, an encoder process) that the
  // character bound does not see; 1,000 is far above any client's honest backlog.
  jobQueueMaxJobs: 1_000,
  // ~500k characters is ~9 hours of speech (~15 characters a second), i.e. ~1.5 GB of results as
  // WAV, and tens of minutes of work for one CPU worker: a backlog a client can still wait out,
  // while 400 requests of 1,800 characters (720k) are refused past it instead of queued for hours.
  jobQueueMaxChars: 500_000,
  resultTtlSeconds: 24 * 3600,
  sweepIntervalSeconds: 60,
  shutdownGraceMs: 10_000,
  corsOrigin: '*',
  healthCacheSeconds: 30,
  tls: null,
  llmBaseUrl: '',
  llmApiKey: '',
  llmModel: 'gpt-4o-mini',
  llmTimeoutMs: 15_000,
  liveMaxSessions: 100,
  liveMaxSessionSeconds: 30 * 60,
  liveIdleTimeoutSeconds: 120,
  // Longer than any natural spoken turn (speakers pause within 20-30 s), short enough that a line
  // with constant background noise, where the VAD never hears silence, is answered within a
  // minute and holds a recognizer for no longer.
  liveMaxTurnSeconds: 60,
  // One maximum-size append (15 MiB of base64, ~11 MiB of audio) fits with room to spare; a
  // client further ahead than this is flooding, not streaming.
  liveMaxPendingInputBytes: 16 << 20,
  onnxProviders: 'cpu',
  onnxThreadsPerSession: 0,
  modelMemoryBudgetMb: 0,
  modelsLoadAtStart: '',
  sttDefaultModel: 'auto',
  sttLiveDecoders: 'pool',
  whisperVariant: 'auto',
  auth: 'auto',
  trustedProxies: '',
  metricsToken: '',
  plans: null,
  // 10 s, 30 s, 90 s, 4.5 min, 13.5 min, then 40 min and 1 h: a receiver down for an hour or two still gets it.
  webhooks: { maxAttempts: 8, initialDelayMs: 10_000, maxDelayMs: 3600_000, timeoutMs: 10_000, allowPrivateTargets: false },
  cluster: CLUSTER_DEFAULTS,
};

const ENV_KEYS: Record<string, keyof Config> = {
  LLAIS_HOST: 'host',
  LLAIS_PORT: 'port',
  LLAIS_PUBLIC_URL: 'publicUrl',
  LLAIS_DATA_DIR: 'dataDir',
  LLAIS_MODELS_DIR: 'modelsDir',
  LLAIS_MODELS_MIRROR: 'modelsMirror',
  LLAIS_LOG_LEVEL: 'logLevel',
  LLAIS_DEFAULT_MODEL: 'defaultModel',
  LLAIS_DEFAULT_VOICE: 'defaultVoice',
  LLAIS_MAX_TEXT_CHARS: 'maxTextChars',
  LLAIS_MAX_JSON_BODY_BYTES: 'maxJsonBodyBytes',
  LLAIS_MAX_UPLOAD_BYTES: 'maxUploadBytes',
  LLAIS_AUDIO_TOOLS_MAX_DURATION_SEC: 'audioToolsMaxDurationSec',
  LLAIS_MAX_CONCURRENT_UPLOADS: 'maxConcurrentUploads',
  LLAIS_TTS_WORKERS: 'ttsWorkers',
  LLAIS_TTS_WARM_UP: 'ttsWarmUp',
  LLAIS_TTS_FIRST_CHUNK_CHARS: 'ttsFirstChunkChars',
  LLAIS_AUDIO_SPAWNER: 'audioSpawner',
  LLAIS_TTS_MAX_QUEUE: 'ttsMaxQueue',
  LLAIS_POOL_WORKERS: 'poolWorkers',
  LLAIS_POOL_MAX_QUEUE: 'poolMaxQueue',
  LLAIS_JOB_CONCURRENCY: 'jobConcurrency',
  LLAIS_JOB_QUEUE_MAX_JOBS: 'jobQueueMaxJobs',
  LLAIS_JOB_QUEUE_MAX_CHARS: 'jobQueueMaxChars',
  LLAIS_RESULT_TTL_SECONDS: 'resultTtlSeconds',
  LLAIS_SWEEP_INTERVAL_SECONDS: 'sweepIntervalSeconds',
  LLAIS_SHUTDOWN_GRACE_MS: 'shutdownGraceMs',
  LLAIS_CORS_ORIGIN: 'corsOrigin',
  LLAIS_HEALTH_CACHE_SECONDS: 'healthCacheSeconds',
  LLAIS_LLM_BASE_URL: 'llmBaseUrl',
  LLAIS_LLM_API_KEY: 'llmApiKey',
  LLAIS_LLM_MODEL: 'llmModel',
  LLAIS_LLM_TIMEOUT_MS: 'llmTimeoutMs',
  LLAIS_LIVE_MAX_SESSIONS: 'liveMaxSessions',
  LLAIS_LIVE_MAX_SESSION_SECONDS: 'liveMaxSessionSeconds',
  LLAIS_LIVE_IDLE_TIMEOUT_SECONDS: 'liveIdleTimeoutSeconds',
  LLAIS_LIVE_MAX_TURN_SECONDS: 'liveMaxTurnSeconds',
  LLAIS_LIVE_MAX_PENDING_INPUT_BYTES: 'liveMaxPendingInputBytes',
  LLAIS_ONNX_PROVIDERS: 'onnxProviders',
  LLAIS_ONNX_THREADS_PER_SESSION: 'onnxThreadsPerSession',
  LLAIS_MODEL_MEMORY_BUDGET_MB: 'modelMemoryBudgetMb',
  LLAIS_MODELS_LOAD_AT_START: 'modelsLoadAtStart',
  LLAIS_STT_DEFAULT_MODEL: 'sttDefaultModel',
  LLAIS_STT_LIVE_DECODERS: 'sttLiveDecoders',
  LLAIS_WHISPER_VARIANT: 'whisperVariant',
  LLAIS_AUTH: 'auth',
  LLAIS_TRUSTED_PROXIES: 'trustedProxies',
  LLAIS_METRICS_TOKEN: 'metricsToken',
};

function coerce(key: keyof Config, raw: unknown): unknown {
  const kind = typeof DEFAULTS[key];
  if (kind === 'number') {
    const n = typeof raw === 'number' ? raw : Number(raw);
    if (!Number.isFinite(n)) throw new Error(`config: ${key} must be a number, got ${JSON.stringify(raw)}`);
    return n;
  }
  if (kind === 'boolean') {
    if (typeof raw === 'boolean') return raw;
    const text = String(raw).trim().toLowerCase();
    if (['1', 'true', 'yes', 'on'].includes(text)) return true;
    if (['0', 'false', 'no', 'off'].includes(text)) return false;
    throw new Error(`config: ${key} must be true or false, got ${JSON.stringify(raw)}`);
  }
  return String(raw);
}

/**
 * Builds the config. `overrides` (used by tests and the CLI flags) win over everything.
 * `env` defaults to process.env; a config file is read from `LLAIS_CONFIG` or `configFile`.
 */
export function loadConfig(
  overrides: Partial<Config> = {},
  opts: { env?: NodeJS.ProcessEnv; configFile?: string } = {},
): Config {
  const env = opts.env ?? process.env;
  const cfg: Config = { ...DEFAULTS };
  const file = opts.configFile ?? env.LLAIS_CONFIG;
  if (file) {
    const fromFile = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    for (const [k, v] of Object.entries(fromFile)) {
      if (!(k in DEFAULTS)) throw new Error(`config: unknown key "${k}" in ${file}`);
      if (k === 'tls') cfg.tls = v as Config['tls'];
      else if (k === 'plans') cfg.plans = v as PlanOverrides;
      else if (k === 'webhooks') cfg.webhooks = webhookSettings(cfg.webhooks, v as Record<string, unknown>, file);
      else if (k === 'cluster') cfg.cluster = clusterSettingsFrom(cfg.cluster, v as Record<string, unknown>, {});
      else (cfg as unknown as Record<string, unknown>)[k] = coerce(k as keyof Config, v);
    }
  }
  for (const [name, key] of Object.entries(ENV_KEYS)) {
    const v = env[name];
    if (v !== undefined && v !== '') (cfg as unknown as Record<string, unknown>)[key] = coerce(key, v);
  }
  const webhookEnv = Object.entries(WEBHOOK_ENV_KEYS).filter(([name]) => env[name] !== undefined && env[name] !== '');
  cfg.webhooks = webhookSettings(cfg.webhooks, Object.fromEntries(webhookEnv.map(([name, key]) => [key, env[name]])), 'the environment');
  cfg.cluster = clusterSettingsFrom(cfg.cluster, undefined, env);
  if (env.LLAIS_TLS_CERT_FILE && env.LLAIS_TLS_KEY_FILE) {
    cfg.tls = { certFile: env.LLAIS_TLS_CERT_FILE, keyFile: env.LLAIS_TLS_KEY_FILE };
  }
  Object.assign(cfg, overrides);
  if (!Number.isInteger(cfg.ttsFirstChunkChars) || cfg.ttsFirstChunkChars < 1) {
    throw new Error(`config: ttsFirstChunkChars must be a whole number of characters, at least 1; got ${JSON.stringify(cfg.ttsFirstChunkChars)}`);
  }
  cfg.dataDir = resolve(cfg.dataDir);
  cfg.modelsDir = resolve(cfg.modelsDir);
  return cfg;
}
