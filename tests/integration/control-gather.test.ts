// How Control gathers answers, on RabbitMQ, with responders that speak the
// pidbox protocol from src/control/pidbox.ts (each a queue bound to
// celery.pidbox, answering on reply.celery.pidbox as a worker does): a call
// ends as soon as every addressed worker answered, concurrent calls get
// only their own answers, and an answer that comes after its call gave up
// is dropped without being taken for junk.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openFanoutLink, type FanoutLink } from '../../src/broker/fanout-link.js';
import { Control } from '../../src/control/control.js';
import { parseRequest, PIDBOX_EXCHANGE, replyMessage, REPLY_EXCHANGE, type ControlRequest } from '../../src/control/pidbox.js';
import { describeWithBroker, testBrokerUrl } from '../support/broker.js';
import { waitFor } from '../support/wait.js';

interface Responder {
  hostname: string;
  requests: ControlRequest[];
  link: FanoutLink;
}

/** Answers every request addressed to it with `{ok: 'pong'}` after `delayMs`. */
async function responder(hostname: string, delayMs = 0): Promise<Responder> {
  const requests: ControlRequest[] = [];
  let clock = 0;
  const link: FanoutLink = openFanoutLink({
    brokerUrl: testBrokerUrl(),
    connectionName: `responder ${hostname}`,
    listen: { exchange: PIDBOX_EXCHANGE, bindingKey: '', queue: () => `${hostname}.celery.pidbox`, queueTtlMs: 300_000, queueExpiresMs: 10_000 },
    declare: [REPLY_EXCHANGE],
    onMessage: (message) => {
      const request = parseRequest(message);
      if (request.destination !== null && !request.destination.includes(hostname)) return;
      requests.push(request);
      if (request.reply !== null) setTimeout(() => link.publish(replyMessage(request, hostname, { ok: 'pong' }, ++clock)), delayMs);
    },
    onStatus: () => {},
  });
  await link.start();
  await waitFor(`${hostname} to listen`, () => link.connected);
  return { hostname, requests, link };
}

describeWithBroker('Control gathering answers', () => {
  const tag = randomBytes(3).toString('hex');
  let a: Responder;
  let b: Responder;
  let slow: Responder;
  let control: Control;
  beforeAll(async () => {
    [a, b, slow] = await Promise.all([responder(`a-${tag}@test`), responder(`b-${tag}@test`), responder(`slow-${tag}@test`, 800)]);
    control = new Control({ brokerUrl: testBrokerUrl() });
    await control.start();
  });
  afterAll(async () => {
    await control?.close();
    await Promise.all([a, b, slow].map((r) => r?.link.close()));
  });

  it('ends a call once every addressed worker answered, long before its timeout', async () => {
    const gathered = await control.ping({ destination: [a.hostname, b.hostname], timeoutMs: 20_000 });
    expect(gathered).toMatchObject({ replies: { [a.hostname]: { ok: 'pong' }, [b.hostname]: { ok: 'pong' } }, missing: [], malformed: 0 });
    expect(gathered.elapsedMs).toBeLessThan(20_000);
  });

  it('gives concurrent calls their own answers', async () => {
    const [toA, toB] = await Promise.all([control.ping({ destination: a.hostname, timeoutMs: 20_000 }), control.stats({ destination: b.hostname, timeoutMs: 20_000 })]);
    expect(toA.replies).toEqual({ [a.hostname]: { ok: 'pong' } });
    expect(toB.replies).toEqual({ [b.hostname]: { ok: 'pong' } });
  });

  it('drops an answer that comes after its call gave up, and counts it as no junk', async () => {
    const late = await control.ping({ destination: slow.hostname, timeoutMs: 100 });
    expect(late).toMatchObject({ replies: {}, missing: [slow.hostname] });
    // The slow answer arrives while this call waits.
    const next = await control.ping({ destination: [a.hostname, 'nobody@nowhere'], timeoutMs: 1500 });
    expect(next).toMatchObject({ replies: { [a.hostname]: { ok: 'pong' } }, missing: ['nobody@nowhere'], malformed: 0 });
    expect(control.malformedReplies).toBe(0);
  });

  it('sends shutdown without a reply address and does not wait', async () => {
    const gathered = await control.shutdown({ destination: b.hostname, timeoutMs: 20_000 });
    expect(gathered).toMatchObject({ replies: {}, missing: [] });
    const got = await waitFor('the shutdown at b', () => b.requests.find((r) => r.method === 'shutdown'));
    expect(got.reply).toBeNull();
    expect(got.destination).toEqual([b.hostname]);
  });

  it('refuses calls before start and after close', async () => {
    const unstarted = new Control({ brokerUrl: testBrokerUrl() });
    await expect(unstarted.ping()).rejects.toMatchObject({ code: 'E_CONTROL_STATE' });
    await unstarted.start();
    await unstarted.close();
    await expect(unstarted.ping()).rejects.toMatchObject({ code: 'E_CONTROL_STATE', message: 'Control is closed' });
  });
});
