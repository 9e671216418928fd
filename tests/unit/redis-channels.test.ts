import { describe, expect, it } from 'vitest';
import { fanoutPrefix, publishChannel, routingKeyOfChannel, subscribePattern } from '../../src/broker/redis/channels.js';
import { readFixture } from '../support/celery-fixtures.js';

interface Command {
  by: string;
  command: string;
}
const commands = readFixture<Command[]>('celery-5.2.6-redis/commands.json');
const said = (by: string, verb: string): string[] =>
  commands.filter((c) => c.by === by && c.command.startsWith(`${verb} `)).map((c) => c.command.split(' ')[1] as string);

describe('kombu Redis fanout channels', () => {
  it('prefixes the database number, as keyprefix_fanout does', () => {
    expect(fanoutPrefix(0)).toBe('/0.');
    expect(fanoutPrefix(12)).toBe('/12.');
  });

  it('publishes events on /{db}.celeryev/<routing key>, as the captured worker does', () => {
    const published = [...new Set(commands.filter((c) => c.command.startsWith('PUBLISH ')).map((c) => c.command.split(' ')[1]))];
    expect(published).toEqual([publishChannel(3, 'celery.pidbox', '')]);
    expect(publishChannel(3, 'celeryev', 'worker.heartbeat')).toBe('/3.celeryev/worker.heartbeat');
    expect(publishChannel(3, 'celeryev', 'task.multi')).toBe('/3.celeryev/task.multi');
  });

  it("subscribes as Celery's receiver and worker do: # becomes *, an empty key no suffix", () => {
    expect(said('EventReceiver (wakeup=True)', 'PSUBSCRIBE')).toEqual([subscribePattern(3, 'celeryev', '#')]);
    expect(said('worker -E', 'PSUBSCRIBE')).toEqual([subscribePattern(3, 'celery.pidbox', ''), subscribePattern(3, 'celeryev', 'worker.#')]);
  });

  it('reads the routing key back from a channel name', () => {
    expect(routingKeyOfChannel('/3.celeryev/task.multi', 3, 'celeryev')).toBe('task.multi');
    expect(routingKeyOfChannel('/3.celery.pidbox', 3, 'celery.pidbox')).toBe('');
    expect(routingKeyOfChannel('/4.celeryev/task.multi', 3, 'celeryev')).toBe('');
  });
});
