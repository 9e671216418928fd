import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { describeWhenPresent } from './gates.js';

/** The RabbitMQ vhost URL the global setup made for this run. */
export function testBrokerUrl(): string {
  const url = process.env.TEST_BROKER_URL;
  if (!url) throw new Error('TEST_BROKER_URL is not set: the global test setup did not create a vhost');
  return url;
}

/**
 * A vhost for one test file alone, named after this run's with `label`: no
 * other file's workers or cameras share its celeryev exchange, so event
 * counts are exact and its own events reach no other file's camera.
 */
export function privateVhost(label: string): { url: string; drop: () => void } {
  const base = new URL(testBrokerUrl());
  const vhost = `${decodeURIComponent(base.pathname.slice(1))}-${label}-${randomBytes(3).toString('hex')}`;
  execFileSync('rabbitmqctl', ['add_vhost', vhost], { stdio: 'ignore' });
  execFileSync('rabbitmqctl', ['set_permissions', '-p', vhost, 'guest', '.*', '.*', '.*'], { stdio: 'ignore' });
  base.pathname = `/${encodeURIComponent(vhost)}`;
  return { url: base.toString(), drop: () => execFileSync('rabbitmqctl', ['delete_vhost', vhost], { stdio: 'ignore' }) };
}

/** `describe`, or `describe.skip` when RabbitMQ is down outside CI. */
export const describeWithBroker = describeWhenPresent('rabbitmq');
