/**
 * `npm run bench -- --workload W0 --db postgresql`: one JSON line per
 * workload × database on stdout (BENCH.md), progress and errors on stderr.
 */
import { parseArgs } from 'node:util';
import { providers, type Provider } from '../src/db/url.js';
import { prepareDatabase, type BenchDatabase } from './databases.js';
import { environment, loadAverage } from './env.js';
import { workloadIds, type Params, type Workload } from './workload.js';
import { workloads } from './workloads/index.js';

const USAGE = `usage: npm run bench -- [options]
  --workload W   W0..W5, SOAK or METRICS; repeat or comma-separate (default: every implemented one)
  --db DB        sqlite | postgresql | mysql; repeat or comma-separate (default: all three)
  --runs R       repeats per variant (default 3)
  --n N          override the workload's N (quick runs)
  --seconds S    override the soak's duration (SOAK; default 600)
  --help         this text
env: BENCH_SQLITE_FILE, BENCH_POSTGRES_URL, BENCH_MYSQL_URL override the bench databases;
     BENCH_TRANSPORTS=amqp,redis picks W3's brokers, BENCH_BROKER_URL and BENCH_REDIS_URL override them`;

class UsageError extends Error {}

interface Plan {
  workloads: Workload[];
  providers: Provider[];
  runs: number;
  n: number | undefined;
  seconds: number | undefined;
}

/** `--db a --db b,c` → [a, b, c]. */
const listOf = (values: string[] | undefined): string[] =>
  (values ?? []).flatMap((value) => value.split(',')).map((value) => value.trim()).filter(Boolean);

function positiveInteger(option: string, value: string | undefined, fallback?: number): number | undefined {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1) throw new UsageError(`--${option} must be a positive integer, not "${value}"`);
  return number;
}

const implemented = (): Workload[] => workloadIds.flatMap((id) => workloads[id] ?? []);
const label = (id: string): string => id.toUpperCase();

function selectWorkloads(names: string[]): Workload[] {
  if (names.length === 0) return implemented();
  return names.map((name) => {
    const id = workloadIds.find((known) => known === name.toLowerCase());
    if (id === undefined) {
      throw new UsageError(`unknown workload "${name}" (known: ${workloadIds.map(label).join(', ')})`);
    }
    const workload = workloads[id];
    if (workload === undefined) {
      throw new UsageError(
        `workload ${label(id)} is not implemented yet (implemented: ${implemented().map((w) => label(w.id)).join(', ')})`,
      );
    }
    return workload;
  });
}

function selectProviders(names: string[]): Provider[] {
  if (names.length === 0) return [...providers];
  return names.map((name) => {
    const provider = providers.find((known) => known === name.toLowerCase());
    if (provider === undefined) throw new UsageError(`unknown db "${name}" (known: ${providers.join(', ')})`);
    return provider;
  });
}

function parsePlan(args: string[]): Plan | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        workload: { type: 'string', multiple: true },
        db: { type: 'string', multiple: true },
        runs: { type: 'string' },
        n: { type: 'string' },
        seconds: { type: 'string' },
        help: { type: 'boolean' },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) return 'help';
  const plan = {
    workloads: selectWorkloads(listOf(values.workload)),
    providers: selectProviders(listOf(values.db)),
    runs: positiveInteger('runs', values.runs, 3)!,
    n: positiveInteger('n', values.n),
    seconds: positiveInteger('seconds', values.seconds),
  };
  const withoutN = plan.workloads.find((workload) => !('n' in workload.params));
  if (plan.n !== undefined && withoutN) throw new UsageError(`--n: workload ${label(withoutN.id)} has no N`);
  const timeless = plan.workloads.find((workload) => !('seconds' in workload.params));
  if (plan.seconds !== undefined && timeless) throw new UsageError(`--seconds: workload ${label(timeless.id)} has no duration`);
  return plan;
}

async function execute(plan: Plan): Promise<boolean> {
  const databases = new Map<Provider, Promise<BenchDatabase>>();
  let allPassed = true;
  for (const workload of plan.workloads) {
    const params: Params = {
      ...workload.params,
      ...(plan.n === undefined ? {} : { n: plan.n }),
      ...(plan.seconds === undefined ? {} : { seconds: plan.seconds }),
    };
    for (const provider of plan.providers) {
      const log = (message: string): void => void process.stderr.write(`[${workload.id} ${provider}] ${message}\n`);
      try {
        if (!databases.has(provider)) databases.set(provider, prepareDatabase(provider));
        const database = await databases.get(provider)!;
        const loadavgStart = loadAverage();
        const results = await workload.run({ database, params, runs: plan.runs, log });
        const line = {
          suite: 'prisma-celery',
          impl: 'typescript',
          workload: workload.id,
          db: provider,
          params,
          results,
          env: environment(loadavgStart, loadAverage()),
        };
        process.stdout.write(`${JSON.stringify(line)}\n`);
      } catch (error) {
        // One database being down must not cost the figures of the others.
        process.stderr.write(`error: ${workload.id} on ${provider}: ${(error as Error).message}\n`);
        allPassed = false;
      }
    }
  }
  return allPassed;
}

try {
  const plan = parsePlan(process.argv.slice(2));
  if (plan === 'help') console.log(USAGE);
  else if (!(await execute(plan))) process.exitCode = 1;
} catch (error) {
  if (!(error instanceof UsageError)) throw error;
  process.stderr.write(`error: ${error.message}\n`);
  process.exitCode = 2;
}
