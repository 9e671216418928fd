// The monitor's rule for a beat's heartbeat row: alive while the row is no
// older than the beat's own rhythm (max interval + the heartbeat pace + a
// second), late up to three times that, gone after or once it stopped.
import { describe, expect, it } from 'vitest';
import { beatLiveness, HEARTBEAT_EVERY_S } from '../../src/scheduler/index.js';

const lastTick = new Date('2026-12-07T10:00:00Z');
const after = (seconds: number) => new Date(lastTick.getTime() + seconds * 1000);

describe('beatLiveness', () => {
  it('measures the age of the last tick against the beat’s own max interval', () => {
    for (const maxInterval of [0.1, 5, 300]) {
      const due = HEARTBEAT_EVERY_S + maxInterval + 1;
      const row = { lastTick, maxInterval, stopped: null };
      expect(beatLiveness(row, after(0)), `${maxInterval}`).toBe('alive');
      expect(beatLiveness(row, after(due)), `${maxInterval}`).toBe('alive');
      expect(beatLiveness(row, after(due + 0.01)), `${maxInterval}`).toBe('late');
      expect(beatLiveness(row, after(3 * due)), `${maxInterval}`).toBe('late');
      expect(beatLiveness(row, after(3 * due + 0.01)), `${maxInterval}`).toBe('gone');
    }
  });

  it('takes a beat that said it stopped for gone at once', () => {
    expect(beatLiveness({ lastTick, maxInterval: 5, stopped: lastTick }, after(0))).toBe('gone');
  });

  it('takes a row from a clock slightly ahead for alive', () => {
    expect(beatLiveness({ lastTick, maxInterval: 5, stopped: null }, after(-2))).toBe('alive');
  });
});
