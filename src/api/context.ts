/** What every endpoint module receives: the services behind the HTTP layer. */
import type { SharedGate } from '../accounts/shared-gate.js';
import type { Accounts } from '../accounts/accounts.js';
import type { JobCharges } from '../accounts/job-charges.js';
import type { BatchStore } from '../batch/batch-store.js';
import type { Config } from '../config.js';
import type { NodeBackends } from '../cluster/backends.js';
import type { JobQueue } from '../jobs/job-queue.js';
import type { JobStore } from '../jobs/job-store.js';
import type { ResultStore } from '../jobs/result-store.js';
import type { Logger } from '../logger.js';
import type { Responder } from '../llm/types.js';
import type { SttService } from '../stt/service.js';
import type { Db } from '../storage/database.js';
import type { LiveSessionLimits } from '../realtime/session-limits.js';
import type { ServerMetrics } from './metrics.js';
import type { ToolJobs } from './audio-tool-jobs.js';
import type { RequestTurns } from './request-turns.js';
import type { UploadReceiver } from '../http/body.js';
import type { HttpExchange } from '../http/exchange.js';
import type { TtsService } from '../tts/service.js';
import type { WorkerPool } from '../workers/pool.js';
import type { ConversationStore } from '../voice-chat/conversation-store.js';
import type { EmbeddingStore } from '../voice/embedding-store.js';

export interface ApiContext {
  config: Config;
  logger: Logger;
  tts: TtsService;
  /** Worker threads for decode and transcription. */
  pool: WorkerPool;
  jobs: JobStore;
  /** TTS batches (lists of jobs) and their webhook deliveries. */
  batches: BatchStore;
  queue: JobQueue;
  results: ResultStore;
  /** Writes the assistant's replies (voice chat, live sessions). */
  responder: Responder;
  stt: SttService;
  /** Receives every multipart upload (streamed to disk, a bounded number at a time). */
  uploads: UploadReceiver;
  db: Db;
  /** Shared by the live WebSocket endpoints. */
  live: LiveSessionLimits;
  /** Keys, plans, limits, credits, ownership, saved pronunciations. */
  accounts: Accounts;
  /** Voice-chat conversations (Postgres in cluster mode, like the stores below). */
  conversations: ConversationStore;
  /** Stored voices (`/v1/voice-embed/`). */
  voices: EmbeddingStore;
  /** Charges of queued jobs, settled when each job ends. */
  jobCharges: JobCharges;
  /** Counters and histograms behind `GET /metrics`. */
  metrics: ServerMetrics;
  /** One request's synthesis start-up per event-loop turn, so a burst cannot hold the loop. */
  turns: RequestTurns;
  /** This node's id and role, and its backends (embedded or shared) for health. */
  backends?: NodeBackends;
  /** `async=true` audio tool and transcription jobs (`/v1/audio/jobs/{id}`): run here, or through the cluster queue. */
  asyncJobs: ToolJobs;
  /** Cluster mode: the limits on Redis, exact across nodes (anonymous characters, live sessions). */
  sharedGate?: SharedGate;
}

/** The absolute base URL a client used to reach us, for links we hand back. */
export function baseUrl(ctx: ApiContext, ex: HttpExchange): string {
  if (ctx.config.publicUrl) return ctx.config.publicUrl.replace(/\/+$/, '');
  const proto = ex.headers['x-forwarded-proto'] ?? (ctx.config.tls ? 'https' : 'http');
  const host = ex.headers['x-forwarded-host'] ?? ex.headers.host ?? `127.0.0.1:${ctx.config.port}`;
  return `${proto}://${host}`;
}

export function requestLogger(ctx: ApiContext, ex: HttpExchange): Logger {
  return ctx.logger.child({ reqId: ex.requestId });
}
