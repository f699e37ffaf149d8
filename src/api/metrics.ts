/**
 * `GET /metrics` in Prometheus text format: the numbers an operator (and our benchmarks) need
 * to see whether the main thread keeps up. Event-loop delay is sampled since process start.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Router } from '../http/router.js';
import type { ApiContext } from './context.js';

/** 10 ms sampling resolution would hide the stalls we care about; 1 ms is cheap. */
const EVENT_LOOP_RESOLUTION_MS = 1;

export function registerMetricsRoute(router: Router, ctx: ApiContext, activeRequests: () => number): () => void {
  const loop = monitorEventLoopDelay({ resolution: EVENT_LOOP_RESOLUTION_MS });
  loop.enable();
  router.get('/metrics', (ex) => {
    const s = (ns: number): string => (ns / 1e9).toFixed(6);
    const lines = [
      '# HELP llais_event_loop_delay_seconds Main-thread event-loop delay since start.',
      '# TYPE llais_event_loop_delay_seconds summary',
      `llais_event_loop_delay_seconds{quantile="0.5"} ${s(loop.percentile(50))}`,
      `llais_event_loop_delay_seconds{quantile="0.99"} ${s(loop.percentile(99))}`,
      `llais_event_loop_delay_seconds{quantile="1"} ${s(loop.max)}`,
      '# HELP llais_http_requests_in_flight Requests being served now.',
      '# TYPE llais_http_requests_in_flight gauge',
      `llais_http_requests_in_flight ${activeRequests()}`,
      '# HELP llais_tts_queue_size Synthesis pieces waiting for a worker.',
      '# TYPE llais_tts_queue_size gauge',
      `llais_tts_queue_size ${ctx.tts.queueSize()}`,
      '# HELP llais_jobs_queue_size Queued and running TTS jobs.',
      '# TYPE llais_jobs_queue_size gauge',
      `llais_jobs_queue_size ${ctx.queue.size}`,
      '# HELP llais_jobs_queue_chars Characters of text in queued and running TTS jobs (bounded by jobQueueMaxChars).',
      '# TYPE llais_jobs_queue_chars gauge',
      `llais_jobs_queue_chars ${ctx.queue.chars}`,
      '# HELP llais_uploads_in_flight Multipart uploads being received now (bounded by maxConcurrentUploads).',
      '# TYPE llais_uploads_in_flight gauge',
      `llais_uploads_in_flight ${ctx.uploads.active}`,
      '# HELP llais_live_sessions Open live WebSocket sessions (/v1/realtime and /v1/tts/ws).',
      '# TYPE llais_live_sessions gauge',
      `llais_live_sessions ${ctx.live.openSessions}`,
      '# HELP llais_pool_queue_size Tasks (uploads, live turns) waiting for a pool worker.',
      '# TYPE llais_pool_queue_size gauge',
      `llais_pool_queue_size ${ctx.pool.queueSize}`,
      '',
    ];
    ex.send(200, { 'Content-Type': 'text/plain; version=0.0.4' }, lines.join('\n'));
  });
  return () => loop.disable();
}
