// Celery task events as a worker publishes them, for the tests that feed a
// camera through the broker.
import * as amqp from 'amqplib';

/** task-received, -started and -succeeded for each id, as one task.multi array per task. */
export async function publishTasks(url: string, ids: readonly string[], hostname: string): Promise<void> {
  const connection = await amqp.connect(url);
  try {
    const channel = await connection.createConfirmChannel();
    const now = Date.now() / 1000;
    ids.forEach((uuid, i) => {
      const common = { hostname, utcoffset: 0, pid: 1, clock: i };
      const batch = [
        { ...common, uuid, name: 'tasks.add', args: `(${i}, 1)`, kwargs: '{}', retries: 0, eta: null, expires: null, timestamp: now, type: 'task-received' },
        { ...common, uuid, timestamp: now + 0.001, type: 'task-started' },
        { ...common, uuid, result: String(i + 1), runtime: 0.001, timestamp: now + 0.002, type: 'task-succeeded' },
      ];
      channel.publish('celeryev', 'task.multi', Buffer.from(JSON.stringify(batch)), {
        contentType: 'application/json',
        contentEncoding: 'utf-8',
        deliveryMode: 1,
        headers: { hostname },
      });
    });
    await channel.waitForConfirms();
  } finally {
    await connection.close();
  }
}
