import { PrismaCeleryError } from '../errors.js';

/**
 * Remote control could not be used, by `code`:
 * - E_CONTROL_BROKER: the broker could not be reached when starting.
 * - E_CONTROL_SEND: the broker connection is down; nothing was broadcast.
 * - E_CONTROL_STATE: used before start() or after close().
 */
export class ControlError extends PrismaCeleryError {}
