// A started Beat whose broker connection (RabbitMQ or Redis) runs through a TcpProxy, with two
// entries due every second on a queue of their own: what the broker-outage
// and stop tests cut, blackhole and heal.
import { randomBytes } from 'node:crypto';
import type { Database } from '../../src/db/open.js';
import { Beat, describeEvent, PeriodicTaskStore, type BeatEvent } from '../../src/scheduler/index.js';
import { testBrokerUrl } from './broker.js';
import type { TestDatabase } from './databases.js';
import { TcpProxy } from './tcp-proxy.js';

export interface BeatBehindProxy {
  readonly beat: Beat;
  readonly proxy: TcpProxy;
  readonly db: Database;
  readonly events: BeatEvent[];
  /** Messages confirmed so far. */
  sent(): number;
  /** Runs the table counts (claimed) so far. */
  runs(): Promise<number>;
}

/** `brokerUrl`: the broker to put the proxy in front of; default this run's RabbitMQ vhost. */
export async function startBeatBehindProxy(testDb: TestDatabase, options: { stopTimeout?: number; brokerUrl?: string } = {}): Promise<BeatBehindProxy> {
  const { brokerUrl = testBrokerUrl(), ...beatOptions } = options;
  const broker = new URL(brokerUrl);
  const proxy = new TcpProxy(broker.hostname, Number(broker.port || (broker.protocol.startsWith('redis') ? 6379 : 5672)));
  broker.port = String(await proxy.listen());
  const db = await testDb.open();
  const tasks = new PeriodicTaskStore(db);
  const queue = `beat.proxied.${randomBytes(4).toString('hex')}`;
  for (const name of ['x', 'y']) {
    await tasks.create({ name, task: 'tasks.add', schedule: { every: 1 }, args: [name], queue, startTime: new Date() });
  }
  const events: BeatEvent[] = [];
  const beat = new Beat({
    database: db,
    brokerUrl: broker.toString(),
    maxInterval: 1,
    ...beatOptions,
    onEvent: (e) => {
      events.push(e);
      if (process.env.DEBUG_BEAT) console.log(Date.now(), describeEvent(e));
    },
  });
  await beat.start();
  return {
    beat,
    proxy,
    db,
    events,
    sent: () => events.filter((e) => e.type === 'task-sent').length,
    runs: async () => (await db.prisma.periodicTask.aggregate({ _sum: { totalRunCount: true } }))._sum.totalRunCount ?? 0,
  };
}
