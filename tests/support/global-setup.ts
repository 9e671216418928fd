// Runs once per test run: checks the servers the selected suites need and
// gives the run a RabbitMQ vhost of its own.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { isReachable, missingMessage, type ServiceName } from './services.js';
import { selectedProviders } from './providers.js';

export default async function setup(): Promise<() => void> {
  const needed: ServiceName[] = ['rabbitmq'];
  for (const p of selectedProviders()) if (p !== 'sqlite') needed.push(p);

  const missing: ServiceName[] = [];
  for (const name of needed) if (!(await isReachable(name))) missing.push(name);
  if (missing.length > 0) {
    const lines = missing.map(missingMessage);
    if (process.env.CI === 'true') throw new Error(`CI needs every service:\n${lines.join('\n')}`);
    for (const line of lines) console.warn(`[prisma-celery tests] skipping suites that need it: ${line}`);
    process.env.PRISMA_CELERY_TEST_MISSING = missing.join(',');
  }

  if (missing.includes('rabbitmq')) return () => {};
  const vhost = `prisma-celery-test-${randomBytes(4).toString('hex')}`;
  execFileSync('rabbitmqctl', ['add_vhost', vhost], { stdio: 'ignore' });
  execFileSync('rabbitmqctl', ['set_permissions', '-p', vhost, 'guest', '.*', '.*', '.*'], { stdio: 'ignore' });
  process.env.TEST_BROKER_URL = `amqp://guest:guest@127.0.0.1:5672/${encodeURIComponent(vhost)}`;
  return () => {
    execFileSync('rabbitmqctl', ['delete_vhost', vhost], { stdio: 'ignore' });
  };
}
