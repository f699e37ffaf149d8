/**
 * The HTTP guard of a worker node (`llais worker`): it answers health and metrics, so a load
 * balancer or Prometheus can watch it, and refuses everything else, so a worker put behind the
 * load balancer by mistake says so instead of half-serving the API (its job is the queue).
 */
import { ApiError } from '../errors.js';
import type { HttpExchange } from '../http/exchange.js';

const WORKER_ROUTES = new Set(['/v1/health', '/metrics']);

export function workerGuard(ex: HttpExchange): void {
  if (WORKER_ROUTES.has(ex.route)) return;
  throw new ApiError('not_found', `This node is a queue worker (llais worker): it serves only GET /v1/health/ and GET /metrics; send API requests to a \`llais serve\` node`);
}
