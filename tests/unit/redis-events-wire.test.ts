// The event stream on a Redis broker against what Celery 5.2.6 (kombu
// 5.2.4) put there (tests/fixtures/celery-5.2.6-redis): every captured
// message decodes to the events it holds, and what we publish (events of
// a celery-node worker, the camera's wake-up broadcast) is the same
// envelope byte for byte once the per-message values (kombu's random
// delivery tag, the broadcast's expiry time) are the captured ones.
import { describe, expect, it } from 'vitest';
import { routingKeyOfChannel } from '../../src/broker/redis/channels.js';
import { fanoutEnvelope, inboundOf } from '../../src/broker/redis/fanout-message.js';
import { heartbeatBroadcast } from '../../src/snapshot/broker/wakeup.js';
import { decodeEvents } from '../../src/snapshot/events/decode.js';
import { ClusterState } from '../../src/snapshot/state/cluster-state.js';
import { eventMessage } from '../../src/snapshot/node-events/event-body.js';
import { readFixture } from '../support/celery-fixtures.js';

interface Captured {
  case: string;
  channel: string;
  message: string;
  event_types?: string[];
  command?: string;
}
const events = readFixture<Captured[]>('celery-5.2.6-redis/events.json');
const controls = readFixture<Captured[]>('celery-5.2.6-redis/control-messages.json');
const taskIds = readFixture<{ add: string; fail: string; burst: string[] }>('celery-5.2.6-redis/events-task-ids.json');
const DB = 3;

interface Envelope {
  body: string;
  headers: Record<string, unknown>;
  properties: { delivery_tag: string; delivery_info: { routing_key: string } };
}
const parse = (message: string): Envelope => JSON.parse(message) as Envelope;

describe('Celery 5.2.6 events on Redis', () => {
  it('has the captured run: online, heartbeats, task.multi batches, offline', () => {
    const keys = events.map((e) => e.case.split('#')[0]);
    expect(keys[0]).toBe('worker.online');
    expect(keys.at(-1)).toBe('worker.offline');
    expect(keys).toContain('worker.heartbeat');
    expect(keys.filter((k) => k === 'task.multi').length).toBeGreaterThan(60);
  });

  it('decodes every message to the events it carries, routed by the channel it came on', () => {
    for (const record of events) {
      const message = inboundOf(record.message, routingKeyOfChannel(record.channel, DB, 'celeryev'));
      expect(message.routingKey, record.case).toBe(routingKeyOfChannel(record.channel, DB, 'celeryev'));
      expect(message.headers).toEqual({ hostname: 'w1@vm' });
      const decoded = decodeEvents(message.body, message);
      expect(decoded.problems, record.case).toEqual([]);
      expect(decoded.events.map((e) => e.type), record.case).toEqual(record.event_types);
    }
  });

  it('leaves the tasks and the worker as they ended in that run', () => {
    const state = new ClusterState({ now: () => 0 });
    for (const record of events) {
      const message = inboundOf(record.message, '');
      for (const event of decodeEvents(message.body, message).events) state.apply(event, event.timestamp * 1000);
    }
    expect(state.task(taskIds.add)).toMatchObject({ state: 'SUCCESS', name: 'tasks.add', args: '[2, 3]', result: '5', worker: 'w1@vm' });
    expect(state.task(taskIds.fail)).toMatchObject({ state: 'FAILURE', name: 'tasks.fail', exception: "ValueError('boom')" });
    expect(state.task(taskIds.fail)?.traceback).toContain('<interop>/tasks.py');
    expect(taskIds.burst.map((id) => state.task(id)?.state)).toEqual(taskIds.burst.map(() => 'SUCCESS'));
    expect(state.worker('w1@vm')).toMatchObject({ swIdent: 'py-celery', swVer: '5.2.6' });
    expect(state.isAlive('w1@vm', Date.now())).toBe(false);
  });

  it('refuses a message that is no kombu envelope, saying so', () => {
    expect(() => inboundOf('not json', 'task.multi')).toThrow('the Redis message is not JSON (not a kombu envelope)');
    expect(() => inboundOf('{"body": 1}', 'task.multi')).toThrow('the kombu envelope has no string body');
  });

  it("publishes a celery-node worker's events in the envelope a Python worker uses", () => {
    for (const kind of ['worker.online#1', 'worker.heartbeat#1', 'task.multi#1', 'worker.offline#1']) {
      const record = events.find((e) => e.case === kind);
      if (record === undefined) throw new Error(`no ${kind} captured`);
      const envelope = parse(record.message);
      const body = Buffer.from(envelope.body, 'base64').toString('utf8');
      const ours = fanoutEnvelope(eventMessage('celeryev', 'w1@vm', envelope.properties.delivery_info.routing_key, body), envelope.properties.delivery_tag);
      expect(ours, kind).toBe(record.message);
    }
  });

  it("sends the camera's wake-up broadcast as `celery events` sends it on Redis", () => {
    const record = controls.find((c) => c.command === 'heartbeat');
    if (record === undefined) throw new Error('no heartbeat broadcast captured');
    const captured = parse(record.message);
    const ours = fanoutEnvelope(heartbeatBroadcast(1, Date.UTC(2026, 0, 1, 0, 0, 0, 250)), captured.properties.delivery_tag);
    expect(parse(ours).headers).toEqual({ clock: 1, expires: Date.UTC(2026, 0, 1, 0, 0, 1, 250) / 1000 });
    // Only the expiry time differs: the rest is the same bytes.
    const expires = /"expires": ([0-9.]+)/;
    expect(ours.replace(expires, `"expires": ${String(captured.headers.expires)}`)).toBe(record.message);
  });
});
