// Runs once per test run: checks the servers and programs the selected
// suites need and gives the run a RabbitMQ vhost of its own.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { isReachable, missingMessage, missingTool, type ServiceName, type ToolName } from './services.js';
import { selectedProviders } from './providers.js';

export default async function setup(): Promise<() => void> {
  const needed: ServiceName[] = ['rabbitmq', 'redis'];
  for (const p of selectedProviders()) if (p !== 'sqlite') needed.push(p);

  const missing = new Map<ServiceName | ToolName, string>();
  for (const name of needed) if (!(await isReachable(name))) missing.set(name, missingMessage(name));
  for (const name of ['python-celery', 'python-django', 'chromium'] as const) {
    const line = missingTool(name);
    if (line !== null) missing.set(name, line);
  }
  if (missing.size > 0) {
    const lines = [...missing.values()];
    if (process.env.CI === 'true') throw new Error(`CI needs every service and program:\n${lines.join('\n')}`);
    for (const line of lines) console.warn(`[prisma-celery tests] skipping suites that need it: ${line}`);
    process.env.PRISMA_CELERY_TEST_MISSING = [...missing.keys()].join(',');
  }

  if (missing.has('rabbitmq')) return () => {};
  const vhost = `prisma-celery-test-${randomBytes(4).toString('hex')}`;
  execFileSync('rabbitmqctl', ['add_vhost', vhost], { stdio: 'ignore' });
  execFileSync('rabbitmqctl', ['set_permissions', '-p', vhost, 'guest', '.*', '.*', '.*'], { stdio: 'ignore' });
  process.env.TEST_BROKER_URL = `amqp://guest:guest@127.0.0.1:5672/${encodeURIComponent(vhost)}`;
  return () => {
    execFileSync('rabbitmqctl', ['delete_vhost', vhost], { stdio: 'ignore' });
  };
}
