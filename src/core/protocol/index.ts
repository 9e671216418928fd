export { ProtocolError } from './errors.js';
export {
  buildTaskMessage,
  type TaskHeaders,
  type TaskMessage,
  type TaskMessageOptions,
  type TaskMessageProperties,
} from './task-message.js';
export { DEFAULT_QUEUE, declarationsFor, type QueueDeclarations } from './routing.js';
export type { AmqpDouble, AmqpInt, HeaderValue } from './header-values.js';
export type { JsonObject, JsonValue } from './json-value.js';
export { saferepr } from './saferepr.js';
export { pythonJsonDumps } from './python-json.js';
