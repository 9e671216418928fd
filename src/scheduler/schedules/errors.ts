import { PrismaCeleryError } from '../../errors.js';

/**
 * A schedule definition (interval, crontab, clocked time, duration) is
 * invalid. `field` names the offending field when there is one, so the CLI
 * and the monitor can point at it without reading the message.
 */
export class ScheduleError extends PrismaCeleryError {
  readonly field: string | undefined;

  constructor(message: string, options?: { cause?: unknown; field?: string }) {
    super('E_SCHEDULE', message, options);
    this.field = options?.field;
  }
}
