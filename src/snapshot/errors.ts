/**
 * The camera's typed errors. Callers classify by `code`, never by message.
 */
import { PrismaCeleryError } from '../errors.js';

export type SnapshotErrorCode =
  /** The broker refused or dropped the connection the camera or an event emitter needs at start. */
  | 'E_SNAPSHOT_BROKER'
  /** The database could not be reached or lacks the camera's tables at start. */
  | 'E_SNAPSHOT_DATABASE'
  /** start() on something already started or closed, or a call in the wrong state. */
  | 'E_SNAPSHOT_STATE';

export class SnapshotError extends PrismaCeleryError {
  // Narrows the inherited code; the constructor is PrismaCeleryError's (code, message, { cause }).
  declare readonly code: SnapshotErrorCode;
}
