/**
 * Builds a running server from a config: storage, engines, job queue, routes, HTTP. Used by
 * the CLI and by tests, which start real servers on port 0.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openAccounts } from './accounts/accounts.js';
import { holdFfmpegSpawner } from './audio/ffmpeg-process.js';
import { checkStartRule } from './accounts/auth-mode.js';
import { JobCharges } from './accounts/job-charges.js';
import { accessGuard } from './api/access.js';
import { registerAudioToolRoutes } from './api/audio-tools.js';
import { registerBatchRoutes } from './api/batch.js';
import { resultFileUrl } from './api/download-url.js';
import { registerMetricsRoute, ServerMetrics } from './api/metrics.js';
import { registerOpenApiRoutes } from './api/openapi/routes.js';
import { registerPlatformRoutes } from './api/platform.js';
import { registerPlaygroundRoutes } from './api/playground.js';
import { registerPronunciationRoutes } from './api/pronunciations.js';
import { RequestTurns } from './api/request-turns.js';
import { registerRealtimeRoute } from './api/realtime.js';
import { registerResultRoutes } from './api/results.js';
import { registerSubtitleRoutes } from './api/subtitles.js';
import { registerSttRoutes } from './api/stt.js';
import { openToolJobs, startQueuedAudioJobs } from './api/async-jobs-setup.js';
import { registerTtsRoutes } from './api/tts.js';
import { registerTtsWsRoute } from './api/tts-ws.js';
import { registerSttWsRoute } from './api/stt-ws.js';
import { registerVoiceChatRoutes } from './api/voice-chat.js';
import { registerVoiceRoutes } from './api/voice-routes.js';
import type { ApiContext } from './api/context.js';
import { BatchTracker } from './batch/batch-tracker.js';
import { WebhookSweeper } from './batch/webhook-sweeper.js';
import type { Config } from './config.js';
import { jobQueueFor, nodeBackends, resultStoreFor, sharedGateFor } from './cluster/backends.js';
import { checkClusterStartRule, type NodeRole } from './cluster/start-rule.js';
import { workerGuard } from './cluster/worker-guard.js';
import { nodeIdOf } from './cluster/cluster-config.js';
import { probeProviders } from './engines/onnx/provider-probe.js';
import { budgetBytesPerThread, onnxSettingsFrom, usesAccelerator } from './engines/onnx/settings.js';
import { whisperVariantFrom } from './engines/stt/whisper/export-files.js';
import { UploadReceiver } from './http/body.js';
import { Router } from './http/router.js';
import { HttpServer } from './http/server.js';
import { startExpirySweep } from './jobs/expiry-sweep.js';
import { createResponder } from './llm/create-responder.js';
import { createLogger, type Logger } from './logger.js';
import { LiveSessionLimits } from './realtime/session-limits.js';
import { openDatabase } from './storage/database.js';
import { openSharedStores } from './storage/shared-stores.js';
import { PooledSttService } from './stt/pooled-stt-service.js';
import { ttsJobRunner } from './tts/render-job.js';
import { loadTtsModelsAtStart } from './tts/load-at-start.js';
import { startTtsPool, TtsService } from './tts/service.js';
import { LiveSttPool, liveDecodersFrom } from './workers/live-stt-pool.js';
import { WorkerPool } from './workers/pool.js';

/** How long a starting node waits for its Redis connections before it listens without them. */
const REDIS_START_WAIT_MS = 5000;

export interface App {
  config: Config;
  port: number;
  url: string;
  context: ApiContext;
  http: HttpServer;
  /** Drains HTTP (bounded by `shutdownGraceMs`), stops jobs, closes engines and the database. */
  close(): Promise<void>;
}

export interface StartOptions {
  logger?: Logger;
  /** Tests use false to leave accepted jobs queued, as a crash would. */
  processJobs?: boolean;
  /** `worker` (`llais worker`): runs queued jobs and answers health and metrics only. */
  role?: NodeRole;
}

export async function startApp(config: Config, opts: StartOptions = {}): Promise<App> {
  const logger = opts.logger ?? createLogger(config.logLevel);
  // Fail before starting workers when TLS files are unreadable, not after.
  if (config.tls) {
    readFileSync(config.tls.certFile);
    readFileSync(config.tls.keyFile);
  }
  // A mix of shared and embedded backends that cannot be consistent across nodes is refused first.
  checkClusterStartRule(config.cluster, opts.role ?? 'serve');
  // An accelerator that cannot run is a configuration error, found before anything starts.
  await probeProviders(onnxSettingsFrom(config));
  // Whatever starts before a later step fails is stopped again, so a failed start leaks no workers.
  const undo: Array<() => unknown> = [];
  try {
    return await assemble(config, opts, logger, undo);
  } catch (err) {
    for (const step of undo.reverse()) await step();
    throw err;
  }
}

async function assemble(config: Config, opts: StartOptions, logger: Logger, undo: Array<() => unknown>): Promise<App> {
  const db = openDatabase(config.dataDir);
  undo.push(() => db.close());
  // Forked now, while the process is small: afterwards ffmpeg starts there, never by forking us.
  const releaseSpawner = config.audioSpawner ? await holdFfmpegSpawner() : async () => {};
  undo.push(releaseSpawner);
  // In a cluster every series is labelled with its node, so the nodes' scrapes can be told apart and summed.
  const metrics = new ServerMetrics(config.cluster.redisUrl !== '' || config.cluster.nodeId !== '' ? nodeIdOf(config.cluster) : undefined);
  // Accounts, ledger, job records and batches: Postgres in cluster mode (refused unless migrated), else this SQLite database.
  const stores = await openSharedStores(config.cluster.databaseUrl ?? '', db);
  undo.push(() => stores.close());
  const accounts = openAccounts(config, db, { onSpent: (credits, service) => metrics.spent(credits, service) }, stores);
  // Before any worker starts: a server that would be open to the network does not start at all.
  await checkStartRule(accounts.setting, config.host, accounts.keys);
  // Cluster mode: requests are counted on Redis, so a plan's limits hold across nodes.
  const sharedGate = sharedGateFor(config, accounts.gate);
  if (sharedGate) undo.push(() => sharedGate.close());
  // With a shared queue another node may end the job: charges are settled by reference there.
  const jobCharges = new JobCharges(accounts.billing, { holdCharges: config.cluster.redisUrl === '' });
  const ttsPool = await startTtsPool({
    workers: config.ttsWorkers,
    warmUp: config.ttsWarmUp,
    modelsDir: config.modelsDir,
    maxQueue: config.ttsMaxQueue,
    onnx: onnxSettingsFrom(config),
    modelMemoryBudgetMb: config.modelMemoryBudgetMb,
  });
  undo.push(() => ttsPool.close());
  const pool = WorkerPool.start({ threads: config.poolWorkers, maxQueue: config.poolMaxQueue, logger });
  undo.push(() => pool.close());
  const { jobs } = stores;
  const results = resultStoreFor(config);
  const tts = new TtsService(ttsPool, config.modelsDir, { maxTextChars: config.maxTextChars, defaultModel: config.defaultModel, defaultVoice: config.defaultVoice, firstChunkChars: config.ttsFirstChunkChars });
  const { batches } = stores;
  const webhooks = new WebhookSweeper(batches, accounts.webhookSecrets, config.webhooks, logger);
  const batchTracker = new BatchTracker(batches, jobs, (base, uuid, file, expiresAt) => resultFileUrl({ results }, base, uuid, file, expiresAt), () => webhooks.kick(), logger);
  const queue = jobQueueFor(config, jobs, jobCharges.wrap(ttsJobRunner(tts, results)), {
    concurrency: opts.processJobs === false ? 0 : config.jobConcurrency,
    resultTtlMs: config.resultTtlSeconds * 1000,
    maxJobs: config.jobQueueMaxJobs,
    maxChars: config.jobQueueMaxChars,
    logger,
    onEnded: (uuid) => batchTracker.jobEnded(uuid),
  });
  // On an accelerator one worker runs Whisper, so each model has one session on the device and
  // requests queue for it; on CPU every pool worker runs it (one single-threaded session each).
  const onnx = onnxSettingsFrom(config);
  const whisperPool = usesAccelerator(onnx) ? WorkerPool.start({ threads: 1, maxQueue: config.poolMaxQueue, logger }) : pool;
  if (whisperPool !== pool) undo.push(() => whisperPool.close());
  // Live PocketSphinx turns on their own threads, many per thread (see workers/live-stt-pool.ts).
  const livePool = liveDecodersFrom(config.sttLiveDecoders) === 'pinned' ? LiveSttPool.start({ threads: config.poolWorkers, logger }) : undefined;
  if (livePool) undo.push(() => livePool.close());
  const stt = new PooledSttService(pool, config.modelsDir, {
    live: livePool,
    whisper: { onnx, budgetBytesPerThread: budgetBytesPerThread(config.modelMemoryBudgetMb, whisperPool.threads), variant: whisperVariantFrom(config.whisperVariant), pool: whisperPool },
    defaultModel: config.sttDefaultModel,
  });
  const uploads = new UploadReceiver({ dir: join(config.dataDir, 'uploads'), maxConcurrent: config.maxConcurrentUploads });
  const responder = createResponder(config);
  const live = new LiveSessionLimits({ maxSessions: config.liveMaxSessions, maxSessionMs: config.liveMaxSessionSeconds * 1000, idleMs: config.liveIdleTimeoutSeconds * 1000 });
  const asyncJobs = openToolJobs(config, stores.toolJobs, logger);
  const context: ApiContext = { config, logger, tts, pool, jobs, batches, queue, results, responder, stt, uploads, db, live, accounts, jobCharges, metrics, turns: new RequestTurns(), asyncJobs, conversations: stores.conversations, voices: stores.voices };
  context.sharedGate = sharedGate?.gate;
  const backends = (context.backends = nodeBackends(config, opts.role ?? 'serve', queue, results, stores));
  // A shared queue holds Redis connections (and may run jobs) from here on; a failed start stops it.
  undo.push(() => queue.stop(), () => backends.close());
  // Async audio tool and transcription jobs on the cluster's second queue (none on one node).
  const queuedAudioJobs = startQueuedAudioJobs(context, asyncJobs, opts.processJobs === false ? 0 : config.jobConcurrency);
  if (queuedAudioJobs) undo.push(() => queuedAudioJobs.stop());

  const router = new Router();
  registerPlatformRoutes(router, context);
  registerTtsRoutes(router, context);
  registerBatchRoutes(router, context);
  registerResultRoutes(router, context);
  registerSubtitleRoutes(router, context);
  registerSttRoutes(router, context, stt);
  registerAudioToolRoutes(router, context);
  registerVoiceChatRoutes(router, context);
  registerPronunciationRoutes(router, context);
  registerVoiceRoutes(router, context);
  registerOpenApiRoutes(router);
  registerPlaygroundRoutes(router);

  const http = new HttpServer(router, { host: config.host, port: config.port, corsOrigin: config.corsOrigin, tls: config.tls, logger, guard: opts.role === 'worker' ? workerGuard : accessGuard(accounts, sharedGate?.gate), onFinished: (r) => metrics.requestFinished(r) });
  // Live sessions stay on the node holding the socket, so a worker (which serves no API) takes none.
  if (opts.role !== 'worker') registerRealtimeRoute(http, context);
  if (opts.role !== 'worker') registerTtsWsRoute(http, context);
  if (opts.role !== 'worker') registerSttWsRoute(http, context);
  const stopMetrics = registerMetricsRoute(router, context, () => http.activeRequests);
  undo.push(stopMetrics);
  // Redis connections (queues, shared limits) up before the first request, within a bound: a node
  // listening before them refused its first queued work with 503; Redis down at start delays the
  // node by the bound, then it serves what needs no Redis and reconnects by itself.
  const redisUp = await Promise.all([queue.connected(REDIS_START_WAIT_MS), queuedAudioJobs?.connected(REDIS_START_WAIT_MS) ?? true, sharedGate?.connected(REDIS_START_WAIT_MS) ?? true]);
  if (redisUp.includes(false)) logger.warn({ waitedMs: REDIS_START_WAIT_MS }, 'Redis not reachable yet: queued work gets 503 queue_unavailable until it is');
  const port = await http.listen();
  const recovered = await queue.recover();
  await queuedAudioJobs?.recover();
  // Batches whose last job ended just before a crash complete now; pending webhooks resume.
  await batchTracker.recover();
  webhooks.start();
  const stopSweep = startExpirySweep(jobs, results, config.sweepIntervalSeconds * 1000, logger);
  const scheme = config.tls ? 'https' : 'http';
  const url = `${scheme}://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${port}`;
  logger.info({ url, recoveredJobs: recovered, models: tts.models().filter((m) => m.installed).map((m) => m.id) }, 'listening');
  // Models to load now rather than at first use (modelsLoadAtStart); requests are served meanwhile.
  const warming = new AbortController();
  if (config.modelsLoadAtStart.trim() !== '') {
    void stt.loadAtStart(config.modelsLoadAtStart, warming.signal).then((ids) => logger.info({ models: ids }, 'models loaded at start'));
    void loadTtsModelsAtStart(tts, config.modelsLoadAtStart, config.ttsWorkers, warming.signal).then((ids) => logger.info({ models: ids }, 'models loaded at start'));
  }

  let closing: Promise<void> | null = null;
  return {
    config,
    port,
    url,
    context,
    http,
    close: () =>
      (closing ??= (async () => {
        await http.drain(config.shutdownGraceMs);
        stopSweep();
        stopMetrics();
        await queue.stop();
        await queuedAudioJobs?.stop();
        await backends.close();
        sharedGate?.close();
        await webhooks.stop();
        warming.abort();
        await ttsPool.close();
        await pool.close();
        if (whisperPool !== pool) await whisperPool.close();
        await livePool?.close();
        // Local async jobs record their end (`interrupted`) while the database is still open.
        await asyncJobs.settleAll();
        await releaseSpawner();
        await stores.close();
        db.close();
      })()),
  };
}
