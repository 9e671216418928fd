// The servers integration tests talk to, how to tell they are up, and how
// to start one that is not. Under CI=true a missing server fails the run.
import { connect } from 'node:net';

export type ServiceName = 'postgresql' | 'mysql' | 'rabbitmq';

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

/** Services found missing by the global setup (outside CI only). */
export const missingServices = (): Set<string> =>
  new Set((process.env.PRISMA_CELERY_TEST_MISSING ?? '').split(',').filter(Boolean));
