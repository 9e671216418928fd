import { describe, expect, it } from 'vitest';
import {
  bindingKey,
  bindingMember,
  exchangeKind,
  parseBindingMember,
  priorityList,
  priorityStep,
  queueBinding,
  queuesFor,
  topicMatches,
  type Binding,
} from '../../src/broker/redis/routing.js';
import { ProtocolError } from '../../src/core/protocol/index.js';

describe('priority sub-queues', () => {
  it.each([
    [undefined, 0],
    [0, 0],
    [1, 0],
    [2, 0],
    [3, 3],
    [5, 3],
    [6, 6],
    [8, 6],
    [9, 9],
    [10, 9],
    [255, 9],
  ])('priority %s falls in step %i', (priority, step) => {
    expect(priorityStep(priority)).toBe(step);
  });

  it('names step 0 after the queue and the others with the separator and the step', () => {
    expect(priorityList('capq', 5)).toBe('capq\x06\x163');
    expect(priorityList('capq', 9)).toBe('capq\x06\x169');
    expect(priorityList('capq', 2)).toBe('capq');
    expect(priorityList('capq', undefined)).toBe('capq');
  });
});

describe('binding members', () => {
  it('are routing key, pattern and queue joined by the separator, in the set of the exchange', () => {
    expect(queueBinding('capq')).toEqual({ exchange: 'capq', member: 'capq\x06\x16\x06\x16capq' });
    expect(bindingKey('capq')).toBe('_kombu.binding.capq');
    const topic: Binding = { routingKey: 'jobs.#', pattern: '^jobs\\..*?$', queue: 'tq' };
    expect(bindingMember(topic)).toBe('jobs.#\x06\x16^jobs\\..*?$\x06\x16tq');
    expect(parseBindingMember(bindingMember(topic))).toEqual(topic);
  });

  it('reads a member that is not three fields as no binding', () => {
    expect(parseBindingMember('capq')).toBeUndefined();
    expect(parseBindingMember('a\x06\x16b\x06\x16c\x06\x16d')).toBeUndefined();
  });
});

describe('the queues an exchange routes to', () => {
  const direct: Binding[] = [
    { routingKey: 'dkey', pattern: '', queue: 'dq' },
    { routingKey: 'dkey', pattern: '', queue: 'dq2' },
    { routingKey: 'other', pattern: '', queue: 'oq' },
    { routingKey: 'dkey', pattern: '', queue: 'dq' },
  ];
  const topic: Binding[] = [
    { routingKey: 'jobs.#', pattern: '^jobs\\..*?$', queue: 'tq' },
    { routingKey: 'jobs.*', pattern: '^jobs\\..*?[^\\.]$', queue: 'tq2' },
    { routingKey: 'other.#', pattern: '^other\\..*?$', queue: 'tq3' },
  ];

  it('the anonymous exchange: the queue the routing key names, bound or not', () => {
    expect(queuesFor('', 'capq', [])).toEqual(['capq']);
  });

  it('a direct exchange: every queue bound with exactly the routing key, once', () => {
    expect(exchangeKind(direct)).toBe('direct');
    expect(queuesFor('dx', 'dkey', direct)).toEqual(['dq', 'dq2']);
    expect(queuesFor('dx', 'DKEY', direct)).toEqual([]);
    expect(queuesFor('dx', 'dkey', [])).toEqual([]);
  });

  it('a topic exchange (its bindings carry patterns): every queue whose key matches', () => {
    expect(exchangeKind(topic)).toBe('topic');
    expect(queuesFor('tx', 'jobs.add.fast', topic)).toEqual(['tq', 'tq2']);
    expect(queuesFor('tx', 'other.x', topic)).toEqual(['tq3']);
    expect(queuesFor('tx', 'jobs', topic)).toEqual([]);
  });

  // Each row was checked against kombu 5.2.4's TopicExchange (key_to_pattern and _match).
  it.each([
    ['jobs.#', 'jobs.add', true],
    ['jobs.#', 'jobs.add.fast', true],
    ['jobs.#', 'jobs', false],
    ['jobs.#', 'jobs.', true],
    ['jobs.*', 'jobs.add', true],
    ['jobs.*', 'jobs.add.fast', true],
    ['jobs.*', 'jobs.', false],
    ['jobs.*', 'jobs', false],
    ['*.add', 'jobs.add', true],
    ['*.add', 'a.b.add', true],
    ['*.add', '.add', false],
    ['#.add', 'jobs.add', true],
    ['#.add', 'add', false],
    ['#', 'anything.at.all', true],
    ['#', '', true],
    ['*', 'a', true],
    ['*', 'a.b', true],
    ['*', '', false],
    ['a.b', 'a.b', true],
    ['a.b', 'axb', false],
    ['a+b.c', 'a+b.c', true],
    ['a+b.c', 'aab.c', false],
    ['x(y)', 'x(y)', true],
    ['jobs.#', 'jobs.add\n', true],
    ['jobs.*', 'jobs.\n', true],
    ['a*b', 'aaab', true],
    ['a*b', 'b', true],
    ['a*b', 'a*b', false],
    ['é.#', 'é.x', true],
    ['a.#.z', 'a.b.c.z', true],
    ['a.#.z', 'a.z', false],
    ['a.#.z', 'a..z', true],
    ['a\r.*', 'a\r.b', true],
  ])('kombu topic key %j matches %j: %s', (key, routingKey, matches) => {
    expect(topicMatches(key, routingKey)).toBe(matches);
  });

  it('says which binding key kombu could not match either', () => {
    expect(() => topicMatches('*a', 'a')).toThrow(ProtocolError);
    expect(() => topicMatches('*a', 'a')).toThrow('the topic binding key "*a" is no pattern kombu can match');
  });
});
