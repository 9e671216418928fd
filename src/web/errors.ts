/**
 * The web part's own typed errors (the HTTP answers they become are in
 * http/errors.ts).
 */
import { PrismaCeleryError } from '../errors.js';

/** /metrics or Metrics.metrics() could not read the figures: the database did not answer or is not migrated (E_METRICS_UNAVAILABLE). */
export class MetricsError extends PrismaCeleryError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_METRICS_UNAVAILABLE', message, options);
  }
}
