// Remote control of a real Python Celery 5.2.6 worker (prefork, one
// process, -E, started by the caller) from our API and our CLI: ping,
// registered, a rate limit the worker then shows, a long task seen active
// and revoked with terminate (the camera's row ends REVOKED), an unknown
// destination answered by nobody without a hang, and junk on the reply
// queue ignored and counted. control-python.test.ts runs it on RabbitMQ
// and on Redis, with one worker per broker for every database: nothing the
// scenario leaves on the worker (rate limits, revoked ids) changes what a
// later run expects.
import { expect } from 'vitest';
import { runCliCaptured, type CliOutcome } from './cli-in-process.js';
import { Control } from '../../src/control/control.js';
import type { TaskInfo } from '../../src/control/replies.js';
import type { Database } from '../../src/db/open.js';
import { Camera } from '../../src/snapshot/camera/camera.js';
import type { PythonWorker } from './python-worker.js';
import { waitFor } from './wait.js';

const polling = { intervalMs: 100 };

/** Puts messages that are no worker's answer on the Control's reply queue; resolves to how many. */
export type JunkInjector = (control: Control) => Promise<number>;

export const cli = (...argv: string[]): Promise<CliOutcome> => runCliCaptured(argv);

/** `worker`: started, with -E, on `brokerUrl`. */
export async function pythonWorkerUnderRemoteControl(db: Database, worker: PythonWorker, brokerUrl: string, injectJunk: JunkInjector): Promise<void> {
  const camera = new Camera({ database: db, brokerUrl, freq: 0.2, workerWriteInterval: 0 });
  await camera.start();
  await using control = new Control({ brokerUrl });
  const row = (id: string, state: string) => async () => {
    const found = await db.prisma.taskState.findUnique({ where: { taskId: id } });
    return found?.state === state ? found : null;
  };
  const ctl = (...argv: string[]) => cli(...argv, '--broker', brokerUrl);
  try {
    await control.start();
    const to = { destination: worker.name };

    const pinged = await control.ping(to);
    expect(pinged).toMatchObject({ replies: { [worker.name]: { ok: 'pong' } }, missing: [], malformed: 0 });
    const ping = await ctl('inspect', 'ping', '--destination', worker.name, '--json');
    expect(ping).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(ping.stdout)).toEqual({ [worker.name]: { ok: 'pong' } });

    const registered = await control.registered(to);
    const tasks = ['tasks.add', 'tasks.echo', 'tasks.fail', 'tasks.retry_once', 'tasks.slow'];
    expect(registered.replies[worker.name]).toEqual(tasks);
    const table = await ctl('inspect', 'registered', '--destination', worker.name);
    expect(table.code).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(/^WORKER +TASK$/);
    expect(table.stdout).toMatch(new RegExp(`^${worker.name.replace(/[.$]/g, '\\$&')} +tasks\\.slow$`, 'm'));

    // A rate limit from the API and one from the CLI, both shown by the worker's own registered('rate_limit').
    expect((await control.rateLimit('tasks.add', '10/m', to)).replies).toEqual({ [worker.name]: { ok: 'new rate limit set successfully' } });
    const limited = await ctl('control', 'rate-limit', 'tasks.echo', '5/s', '--destination', worker.name);
    expect(limited.code).toBe(0);
    expect(limited.stdout).toContain('new rate limit set successfully');
    const shown = await control.registered({ ...to, taskinfoitems: ['rate_limit'] });
    expect(shown.replies[worker.name]).toEqual(expect.arrayContaining(['tasks.add [rate_limit=10/m]', 'tasks.echo [rate_limit=5/s]', 'tasks.slow']));

    // A long task, seen by inspect active, terminated from the API.
    const slow = await worker.publish('tasks.slow', [120]);
    const running = await waitFor('the slow task to be active', async () => (await control.active(to)).replies[worker.name]?.find((t) => t.id === slow), polling);
    expect(running).toMatchObject<Partial<TaskInfo>>({ name: 'tasks.slow', args: [120], kwargs: {}, hostname: worker.name, acknowledged: true });
    expect(running.worker_pid).toEqual(expect.any(Number));
    const active = await ctl('inspect', 'active', '--destination', worker.name);
    expect(active.stdout).toMatch(new RegExp(`${slow} +tasks\\.slow +\\[120\\] +\\{\\} +\\d{4}-`));
    const queried = await control.queryTask(slow, to);
    expect(queried.replies[worker.name]?.[slow]?.[0]).toBe('active');
    const revoke = await control.revoke(slow, { terminate: true, signal: 'SIGKILL', ...to });
    expect(revoke.replies).toEqual({ [worker.name]: { ok: `terminate: ${slow}` } });
    await waitFor('the terminated task REVOKED in the camera table', row(slow, 'REVOKED'), polling);

    // Another, terminated from the CLI.
    const slow2 = await worker.publish('tasks.slow', [120]);
    await waitFor('the second slow task STARTED', row(slow2, 'STARTED'), polling);
    const inspected = await ctl('inspect', 'active', '--destination', worker.name, '--json');
    expect((JSON.parse(inspected.stdout) as Record<string, TaskInfo[]>)[worker.name]?.map((t) => t.id)).toEqual([slow2]);
    const killed = await ctl('control', 'revoke', slow2, '--terminate', '--signal', 'SIGKILL', '--destination', worker.name);
    expect(killed).toMatchObject({ code: 0, stderr: '' });
    expect(killed.stdout).toContain(`terminate: ${slow2}`);
    await waitFor('the second task REVOKED in the camera table', row(slow2, 'REVOKED'), polling);
    expect((await control.revoked(to)).replies[worker.name]).toEqual(expect.arrayContaining([slow, slow2]));

    // Nobody has that name: no answer, and no wait beyond the timeout.
    const nobody = await control.ping({ destination: 'nobody@nowhere', timeoutMs: 300 });
    expect(nobody).toMatchObject({ replies: {}, missing: ['nobody@nowhere'] });
    expect(nobody.elapsedMs).toBeLessThan(5000);
    const lost = await ctl('inspect', 'ping', '--destination', 'nobody@nowhere', '--timeout', '0.3');
    expect(lost).toMatchObject({ code: 1, stdout: '' });
    expect(lost.stderr.trim().split('\n')).toEqual(['prisma-celery: no answer within 0.3 s from nobody@nowhere (is the hostname right? see prisma-celery inspect ping)']);

    // Junk on the reply queue during a broadcast (no destination: the call waits its whole timeout).
    const call = control.ping({ timeoutMs: 1500 });
    const junk = await injectJunk(control);
    const gathered = await call;
    expect(gathered.replies[worker.name]).toEqual({ ok: 'pong' });
    expect(gathered.malformed).toBe(junk);
    expect(control.malformedReplies).toBe(junk);

    // The worker's own error for a command it lacks reaches the caller as an answer.
    const unknown = await control.broadcast({ method: 'no_such_command', arguments: {}, expectsReply: true }, to);
    expect(unknown.replies).toEqual({ [worker.name]: { error: "KeyError('no_such_command')" } });

    // No rate limit again (registered shows none), as the next run on this worker expects.
    for (const task of ['tasks.add', 'tasks.echo']) {
      expect((await control.rateLimit(task, null, to)).replies).toEqual({ [worker.name]: { ok: 'rate limit disabled successfully' } });
    }
    expect((await control.registered(to)).replies[worker.name]).toEqual(tasks);
  } finally {
    await camera.close();
  }
}
