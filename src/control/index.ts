/**
 * `prisma-celery/control`: Celery's remote control (`celery control`,
 * `celery inspect`) over AMQP and Redis, and the pidbox protocol it speaks.
 */
export { Control } from './control.js';
export type { CallOptions, ControlOptions, Gathered } from './control.js';
export { ControlError } from './errors.js';
export {
  commands,
  parseReply,
  parseRequest,
  PIDBOX_EXCHANGE,
  REPLY_EXCHANGE,
  replyError,
  replyMessage,
  replyQueueName,
  requestMessage,
} from './pidbox.js';
export type { AddConsumerOptions, ControlCommand, ControlRequest, ParsedReply, RequestOptions, RevokeOptions } from './pidbox.js';
export type { ActionReply, QueryTaskReply, QueueInfo, ScheduledTask, TaskInfo } from './replies.js';
