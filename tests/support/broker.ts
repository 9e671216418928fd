import { describeWhenPresent } from './gates.js';

/** The RabbitMQ vhost URL the global setup made for this run. */
export function testBrokerUrl(): string {
  const url = process.env.TEST_BROKER_URL;
  if (!url) throw new Error('TEST_BROKER_URL is not set: the global test setup did not create a vhost');
  return url;
}

/** `describe`, or `describe.skip` when RabbitMQ is down outside CI. */
export const describeWithBroker = describeWhenPresent('rabbitmq');
