// A RabbitMQ vhost of its own for one test file, so no other test's
// workers, cameras or beats share its exchanges and queues.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { testBrokerUrl } from '../../support/broker.js';

export interface PrivateVhost {
  readonly url: string;
  drop(): void;
}

export function privateVhost(label: string): PrivateVhost {
  const base = new URL(testBrokerUrl());
  const vhost = `${decodeURIComponent(base.pathname.slice(1))}-${label}-${randomBytes(3).toString('hex')}`;
  execFileSync('rabbitmqctl', ['add_vhost', vhost], { stdio: 'ignore' });
  execFileSync('rabbitmqctl', ['set_permissions', '-p', vhost, 'guest', '.*', '.*', '.*'], { stdio: 'ignore' });
  base.pathname = `/${encodeURIComponent(vhost)}`;
  return { url: base.toString(), drop: () => execFileSync('rabbitmqctl', ['delete_vhost', vhost], { stdio: 'ignore' }) };
}
