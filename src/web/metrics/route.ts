/**
 * GET /metrics: the Prometheus text, or 503 with one line saying why the
 * figures cannot be read. A read anyone may make, like the monitor's lists;
 * a scraper may send the handler's token as a Bearer token (a wrong one is 401).
 */
import { MetricsError } from '../errors.js';
import type { TokenGuard } from '../http/auth.js';
import type { ErrorLog } from '../http/errors.js';
import { SECURITY_HEADERS } from '../http/responses.js';
import type { Metrics } from './metrics.js';

const headers = (contentType: string): Record<string, string> => ({ ...SECURITY_HEADERS, 'content-type': contentType, 'cache-control': 'no-store' });

export async function metricsResponse(metrics: Metrics, guard: TokenGuard, request: Request, log: ErrorLog): Promise<Response> {
  guard.checkIfSent(request);
  try {
    const { contentType, text } = await metrics.metrics();
    return new Response(text, { status: 200, headers: headers(contentType) });
  } catch (error) {
    if (!(error instanceof MetricsError)) throw error;
    log('GET /metrics answered 503', error);
    return new Response(`${error.message}\n`, { status: 503, headers: headers('text/plain; charset=utf-8') });
  }
}
