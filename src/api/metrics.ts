/**
 * `GET /metrics` in Prometheus text format (prom-client): what an operator needs to see whether
 * the server keeps up and who uses it. Requests by route and status with their latency, time to
 * first audio of the TTS endpoints, credits spent by service, and gauges read at scrape time
 * (in-flight requests, live sessions, queues, event-loop delay since start). Routes are labelled
 * by their pattern, so ids in paths do not grow the series. With `metricsToken` set the endpoint
 * needs `Authorization: Bearer <token>`.
 */
import { timingSafeEqual } from 'node:crypto';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { BilledService } from '../accounts/billing.js';
import { ApiError } from '../errors.js';
import type { Router } from '../http/router.js';
import type { ApiContext } from './context.js';
import { RequestMetrics } from './request-metrics.js';

/** 10 ms sampling resolution would hide the stalls we care about; 1 ms is cheap. */
const EVENT_LOOP_RESOLUTION_MS = 1;
/** One-second slices in `llais_event_loop_delay_recent_max_seconds`. */
const RECENT_WINDOW_SLICES = 5;
/** From a cached health check (~1 ms) to a long upload or stream (a minute). */
const REQUEST_BUCKETS_SEC = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
/** Around the 150 ms first-audio target, finer where it matters. */
const FIRST_AUDIO_BUCKETS_SEC = [0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 1, 2, 5];

/** The server's instruments; app.ts feeds them from the HTTP server and billing hooks. */
export class ServerMetrics {
  readonly registry = new Registry();
  /** Requests by route, method and status: tallied outside prom-client, appended to its output. */
  readonly requests: RequestMetrics;

  /**
   * `node`: the node id every series is labelled with (cluster mode), so a Prometheus scraping
   * several nodes tells them apart and sums over them; undefined: no such label (one node).
   */
  constructor(node?: string) {
    if (node !== undefined) this.registry.setDefaultLabels({ node });
    this.requests = new RequestMetrics(REQUEST_BUCKETS_SEC, node === undefined ? {} : { node });
  }
  private readonly firstAudioSeconds = new Histogram({ name: 'llais_tts_time_to_first_audio_seconds', help: 'Time from request to the first audio sent, by endpoint.', labelNames: ['endpoint'] as const, buckets: FIRST_AUDIO_BUCKETS_SEC, registers: [this.registry] });
  private readonly credits = new Counter({ name: 'llais_credits_spent_total', help: 'Credits committed on account ledgers, by service.', labelNames: ['service'] as const, registers: [this.registry] });

  requestFinished(r: { method: string; route: string; status: number; seconds: number }): void {
    this.requests.record(r.method, r.route, r.status, r.seconds);
  }

  firstAudio(endpoint: string, seconds: number): void {
    this.firstAudioSeconds.observe({ endpoint }, seconds);
  }

  spent(credits: number, service: BilledService): void {
    this.credits.inc({ service }, credits);
  }
}

function gauge(registry: Registry, name: string, help: string, read: () => number): void {
  new Gauge({ name, help, registers: [registry], collect() { this.set(read()); } });
}

export function registerMetricsRoute(router: Router, ctx: ApiContext, activeRequests: () => number): () => void {
  const registry = ctx.metrics.registry;
  const loop = monitorEventLoopDelay({ resolution: EVENT_LOOP_RESOLUTION_MS });
  loop.enable();
  new Gauge({
    name: 'llais_event_loop_delay_seconds',
    help: 'Main-thread event-loop delay since start, by quantile.',
    labelNames: ['quantile'] as const,
    registers: [registry],
    collect() {
      this.set({ quantile: '0.5' }, loop.percentile(50) / 1e9);
      this.set({ quantile: '0.99' }, loop.percentile(99) / 1e9);
      this.set({ quantile: '1' }, loop.max / 1e9);
    },
  });
  // The since-start figures keep start-up's stalls for ever; operators (and bench/concurrency.ts)
  // need what the loop did lately, so a second histogram is cut into one-second slices.
  const recent = monitorEventLoopDelay({ resolution: EVENT_LOOP_RESOLUTION_MS });
  recent.enable();
  const slices: number[] = [];
  const rotate = setInterval(() => {
    slices.push(recent.max);
    if (slices.length > RECENT_WINDOW_SLICES) slices.shift();
    recent.reset();
  }, 1000);
  rotate.unref();
  gauge(registry, 'llais_event_loop_delay_recent_max_seconds', `Main-thread event-loop delay, the largest in the last ${RECENT_WINDOW_SLICES} to ${RECENT_WINDOW_SLICES + 1} seconds.`, () =>
    Math.max(recent.max, ...slices) / 1e9,
  );
  gauge(registry, 'llais_http_requests_in_flight', 'Requests being served now.', activeRequests);
  gauge(registry, 'llais_tts_queue_size', 'Synthesis pieces waiting for a worker.', () => ctx.tts.queueSize());
  gauge(registry, 'llais_jobs_queue_size', 'Queued and running TTS jobs.', () => ctx.queue.size);
  gauge(registry, 'llais_jobs_queue_chars', 'Characters of text in queued and running TTS jobs (bounded by jobQueueMaxChars).', () => ctx.queue.chars);
  gauge(registry, 'llais_uploads_in_flight', 'Multipart uploads being received now (bounded by maxConcurrentUploads).', () => ctx.uploads.active);
  gauge(registry, 'llais_live_sessions', 'Open live WebSocket sessions (/v1/realtime and /v1/tts/ws).', () => ctx.live.openSessions);
  gauge(registry, 'llais_stt_live_turns', 'Live recognitions running now (Realtime turns, /v1/stt/ws utterances), each holding a decoder.', () => ctx.stt.liveTurns);
  gauge(registry, 'llais_pool_queue_size', 'Tasks (uploads, live turns) waiting for a pool worker.', () => ctx.pool.queueSize);
  const token = ctx.config.metricsToken ? Buffer.from(`Bearer ${ctx.config.metricsToken}`) : null;
  router.get('/metrics', async (ex) => {
    if (token) {
      const given = Buffer.from(ex.headers.authorization ?? '');
      if (given.length !== token.length || !timingSafeEqual(given, token)) throw new ApiError('invalid_api_key', 'GET /metrics needs "Authorization: Bearer <metricsToken>"');
    }
    const text = (await registry.metrics()) + ctx.metrics.requests.render();
    ex.send(200, { 'Content-Type': registry.contentType }, text);
  });
  return () => {
    loop.disable();
    recent.disable();
    clearInterval(rotate);
  };
}
