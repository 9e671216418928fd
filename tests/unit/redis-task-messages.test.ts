// Task messages on Redis, against what Python Celery 5.2.6 (kombu 5.2.4)
// wrote for the same calls: the envelope text byte for byte, the list (and
// priority sub-queue) it was pushed onto, and the binding declared first.
import { describe, expect, it } from 'vitest';
import { decodeEnvelope } from '../../src/broker/redis/envelope.js';
import { bindingKey, parseBindingMember, priorityList, queueBinding, queuesFor, type Binding } from '../../src/broker/redis/routing.js';
import { taskEnvelope } from '../../src/broker/redis/task-envelope.js';
import { buildTaskMessage, type TaskMessageOptions } from '../../src/core/protocol/index.js';
import { readFixture } from '../support/celery-fixtures.js';

type StoredKey = { type: 'list'; items: string[] } | { type: 'set'; members: string[] };

interface Capture {
  case: string;
  python: string;
  task_id: string;
  keys: Record<string, StoredKey>;
}

const { records } = readFixture<{ records: Capture[] }>('celery-5.2.6-redis/task-messages.json');

interface CaseSpec {
  options: Partial<TaskMessageOptions>;
  /** A header computed from the client's clock (microseconds a Date cannot hold); the clock is derived from it. */
  clock?: { header: 'eta' | 'expires'; seconds: number };
}

const CASES: Record<string, CaseSpec> = {
  default_queue: { options: {} },
  named_queue: { options: { queue: 'capq', priority: 5, expires: 60 }, clock: { header: 'expires', seconds: 60 } },
  queue_no_priority: { options: { queue: 'capq' } },
  priority_0: { options: { priority: 0 } },
  priority_2: { options: { priority: 2 } },
  priority_3: { options: { priority: 3 } },
  priority_5: { options: { priority: 5 } },
  priority_7: { options: { priority: 7 } },
  priority_9: { options: { priority: 9 } },
  priority_255: { options: { priority: 255 } },
  queue_priority_9: { options: { queue: 'capq', priority: 9 } },
  expires_seconds: { options: { expires: 120 }, clock: { header: 'expires', seconds: 120 } },
  countdown: { options: { countdown: 30 }, clock: { header: 'eta', seconds: 30 } },
  eta_aware_utc: { options: { eta: '2030-01-02T03:04:05.678901+00:00' } },
  kwargs_non_ascii: { options: {} },
  time_limits: { options: { timeLimit: 60, softTimeLimit: 30 } },
  direct_exchange: { options: { exchange: 'dx', routingKey: 'dkey' } },
  topic_exchange: { options: { exchange: 'tx', routingKey: 'jobs.add.fast' } },
  exchange_unbound: { options: { exchange: 'nobody', routingKey: 'nokey' } },
};

const FIXED_NOW = new Date('2026-12-07T11:00:00.000Z');

const lists = (capture: Capture): [string, string[]][] =>
  Object.entries(capture.keys).flatMap(([key, stored]) => (stored.type === 'list' ? [[key, stored.items] as [string, string[]]] : []));

const bindingsOf = (capture: Capture, exchange: string): Binding[] => {
  const stored = capture.keys[bindingKey(exchange)];
  return stored?.type === 'set' ? stored.members.map((m) => parseBindingMember(m)!) : [];
};

/** The options Python was called with, and the per-run values (id, origin, reply_to, argsrepr) from its message. */
function optionsOf(capture: Capture, spec: CaseSpec): { options: TaskMessageOptions; now: Date; clockText?: [string, string] } {
  const items = lists(capture)[0]?.[1] ?? [];
  // exchange_unbound stored no message: its call's own arguments stand in.
  const envelope = decodeEnvelope(items[0] ?? '{"body": "", "properties": {}}');
  const headers = envelope.headers;
  const [args, kwargs] = (envelope.body.length > 0 ? JSON.parse(envelope.body.toString('utf8')) : [[8, 9], {}]) as [unknown[], Record<string, unknown>];
  const options: TaskMessageOptions = {
    task: typeof headers.task === 'string' ? headers.task : 'tasks.add',
    id: capture.task_id,
    args,
    kwargs,
    origin: typeof headers.origin === 'string' ? headers.origin : 'gen1@vm',
    replyTo: String(envelope.properties.reply_to ?? ''),
    // Python's repr of a tuple; the builder writes the list form by default (see protocol-wire).
    ...(typeof headers.argsrepr === 'string' && { argsrepr: headers.argsrepr }),
    ...spec.options,
  };
  if (spec.clock === undefined) return { options, now: FIXED_NOW };
  const captured = String(headers[spec.clock.header]);
  const now = new Date(Date.parse(captured) - spec.clock.seconds * 1000);
  // A Date holds milliseconds: digits 4-6 of the microseconds come out as 000.
  return { options, now, clockText: [captured, captured.replace(/(\.\d{3})\d{3}/, '$1000')] };
}

describe('task messages on Redis match Celery 5.2.6 captures', () => {
  it('covers every captured case', () => {
    expect(records.map((r) => r.case).sort()).toEqual(Object.keys(CASES).sort());
  });

  for (const capture of records) {
    const spec = CASES[capture.case]!;
    it(`${capture.case}: ${capture.python}`, () => {
      const { options, now, clockText } = optionsOf(capture, spec);
      const message = buildTaskMessage(options, now);

      // Where it goes: the lists kombu pushed onto, from the captured bindings.
      const queues = queuesFor(message.exchange, message.routingKey, bindingsOf(capture, message.exchange));
      const pushed = lists(capture);
      expect(queues.map((q) => priorityList(q, message.properties.priority)).sort()).toEqual(pushed.map(([key]) => key).sort());

      // The binding declared for a queue.
      if (message.queue !== null) {
        const { exchange, member } = queueBinding(message.queue);
        expect(capture.keys[bindingKey(exchange)]).toEqual({ type: 'set', members: [member] });
      }

      // What it is, byte for byte: one envelope per list, with the same delivery tag.
      for (const [, items] of pushed) {
        expect(items).toHaveLength(1);
        let expected = items[0]!;
        const tag = String(decodeEnvelope(expected).properties.delivery_tag);
        if (clockText) expected = expected.replace(clockText[0], clockText[1]);
        expect(taskEnvelope(message, tag)).toBe(expected);
      }
    });
  }

  it('the builder writes the list form of argsrepr that Python writes as a tuple', () => {
    const capture = records.find((r) => r.case === 'default_queue')!;
    const { options } = optionsOf(capture, CASES.default_queue!);
    const { argsrepr: _tuple, ...rest } = options;
    expect(buildTaskMessage(rest, FIXED_NOW).properties.headers.argsrepr).toBe('[2, 3]');
  });
});
