import { PrismaCeleryError } from '../../errors.js';

/**
 * A task message cannot be built as asked: the input has no faithful form in
 * Celery's protocol (non-JSON arguments, an integer header py-amqp would
 * misread, an unknown time format, ...). Thrown before anything is sent.
 */
export class ProtocolError extends PrismaCeleryError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_PROTOCOL', message, options);
  }
}
