// The servers and programs the tests need, how to tell they are there, and
// what to do when one is not. Under CI=true a missing one fails the run.
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { connect } from 'node:net';

export type ServiceName = 'postgresql' | 'mysql' | 'rabbitmq' | 'redis';

interface Service {
  label: string;
  host: string;
  port: number;
  start: string;
}

export const services: Record<ServiceName, Service> = {
  postgresql: {
    label: 'PostgreSQL',
    host: '127.0.0.1',
    port: 5432,
    start: 'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start',
  },
  mysql: {
    label: 'MariaDB',
    host: '127.0.0.1',
    port: 3306,
    start: 'start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd',
  },
  rabbitmq: {
    label: 'RabbitMQ',
    host: '127.0.0.1',
    port: 5672,
    start: 'rabbitmq-server -detached',
  },
  redis: {
    label: 'Redis',
    host: '127.0.0.1',
    port: 6379,
    start: 'redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no',
  },
};

export function isReachable(name: ServiceName, timeoutMs = 1500): Promise<boolean> {
  const { host, port } = services[name];
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (up: boolean): void => {
      socket.destroy();
      resolve(up);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export const missingMessage = (name: ServiceName): string => {
  const s = services[name];
  return `${s.label} is not reachable at ${s.host}:${s.port}; start it with: ${s.start}`;
};

export type ToolName = 'python-celery' | 'python-django' | 'chromium';

/** Debian's interpreter: a venv or pyenv python3 earlier in PATH cannot import Debian's python3-celery. */
export const PYTHON = '/usr/bin/python3';
/** Debian's Chromium, which playwright-core drives (never a downloaded browser). */
export const CHROMIUM = '/usr/bin/chromium';

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Null when the program is installed, else one line saying what to install. */
export function missingTool(name: ToolName): string | null {
  if (name === 'chromium') return isExecutable(CHROMIUM) ? null : `Chromium is not at ${CHROMIUM}; install it with: apt-get install -y chromium`;
  if (name === 'python-django') {
    const django = spawnSync(PYTHON, ['-c', 'import django, django_celery_results, MySQLdb, psycopg2'], { stdio: 'ignore' }).status === 0;
    return django
      ? null
      : `${PYTHON} cannot import django, django_celery_results, MySQLdb and psycopg2; install them with: apt-get install -y python3-django python3-django-celery-results python3-mysqldb python3-psycopg2`;
  }
  const imports = spawnSync(PYTHON, ['-c', 'import celery, redis'], { stdio: 'ignore' }).status === 0;
  return imports ? null : `${PYTHON} cannot import celery and redis; install them with: apt-get install -y python3-celery python3-redis`;
}

/**
 * Null when Prometheus' own parsers are installed (promtool, and the Python
 * client's text parser for Debian's interpreter), else what to install.
 */
export function missingPrometheusParsers(): string | null {
  const promtool = spawnSync('promtool', ['--version'], { stdio: 'ignore' }).status === 0;
  const python = spawnSync(PYTHON, ['-c', 'import prometheus_client.parser'], { stdio: 'ignore' }).status === 0;
  return promtool && python ? null : "Prometheus' parsers are missing; install them with: apt-get install -y prometheus python3-prometheus-client";
}

/** Services and tools found missing by the global setup (outside CI only). */
export const missingServices = (): Set<string> =>
  new Set((process.env.PRISMA_CELERY_TEST_MISSING ?? '').split(',').filter(Boolean));
