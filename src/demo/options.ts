/**
 * The demo's command line: `npm run demo -- [--seconds N] [--broker URL]
 * [--database-url URL] [--port N]`. Checked once, with one-line messages.
 */
import { parseArgs } from 'node:util';
import { checkBrokerUrl } from '../broker/url.js';
import { ConfigError } from '../errors.js';
import { RABBITMQ_URL, REDIS_URL } from './broker.js';

export interface DemoOptions {
  /** How long to run; 0 runs until Ctrl-C. */
  readonly seconds: number;
  /** Undefined: RabbitMQ on this machine when it answers, else Redis (see broker.ts). */
  readonly brokerUrl: string | undefined;
  /** Where brokerUrl came from, for messages about it: `--broker`, `BROKER_URL` or the default. */
  readonly brokerFrom: string;
  /** Undefined: a fresh SQLite file under the OS temp directory. */
  readonly databaseUrl: string | undefined;
  /** The monitor's port; 8080, or a free one if 8080 is taken. */
  readonly port: number | undefined;
  readonly help: boolean;
}

const DEFAULT_SECONDS = 60;

export const USAGE = `Usage: npm run demo -- [options]

Runs the whole system for a while on a fresh SQLite database against your
RabbitMQ or Redis: migrations, periodic tasks, beat, a celery-node worker
storing its results, the snapshot camera and the monitor page, printing
what happens. Ctrl-C stops it early.

Options:
  --seconds N         How long to run (env DEMO_SECONDS; default ${DEFAULT_SECONDS}; 0 = until Ctrl-C)
  --broker URL        amqp://… (RabbitMQ) or redis://… (Redis) (env BROKER_URL; default
                      ${RABBITMQ_URL} when it answers, else ${REDIS_URL})
  --database-url URL  Use this database instead of a fresh SQLite file (the demo
                      migrates it and writes demo.* periodic tasks into it)
  --port N            Monitor port (default 8080, or a free one if it is taken)
  -h, --help          Show this help
`;

/** Thrown for a wrong command line; main prints its message and the usage hint. */
export class DemoUsageError extends Error {}

export function parseDemoOptions(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): DemoOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: {
        seconds: { type: 'string' },
        broker: { type: 'string' },
        'database-url': { type: 'string' },
        port: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: false,
    });
  } catch (error) {
    throw new DemoUsageError((error as Error).message);
  }
  const { values } = parsed;
  const seconds = whole(values.seconds ?? env.DEMO_SECONDS, values.seconds === undefined ? 'DEMO_SECONDS' : '--seconds', 0, 86_400);
  const port = whole(values.port, '--port', 0, 65_535);
  const brokerUrl = values.broker ?? (env.BROKER_URL || undefined);
  if (brokerUrl !== undefined) checkUrl(brokerUrl);
  const brokerFrom = values.broker !== undefined ? '--broker' : env.BROKER_URL ? 'BROKER_URL' : "the demo's default";
  return { seconds: seconds ?? DEFAULT_SECONDS, brokerUrl, brokerFrom, databaseUrl: values['database-url'], port, help: values.help ?? false };
}

function checkUrl(url: string): void {
  try {
    checkBrokerUrl(url);
  } catch (error) {
    if (error instanceof ConfigError) throw new DemoUsageError(error.message);
    throw error;
  }
}

function whole(raw: string | undefined, name: string, min: number, max: number): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new DemoUsageError(`${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  }
  return value;
}
