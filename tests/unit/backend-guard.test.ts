import { describe, expect, it } from 'vitest';
import { ALL_STATES, READY_STATES, RETRY, supersedes } from '../../src/core/states.js';
import { applyWrite, mergeWrites, replaces, type StoredTask, type TaskWrite } from '../../src/backend/guard.js';

const STATES = [...ALL_STATES, 'PROGRESS'];

let clock = 0;
const write = (status: string, fields: Partial<TaskWrite> = {}): TaskWrite => ({
  taskId: 't',
  status,
  result: `"${status}-${++clock}"`,
  traceback: null,
  meta: null,
  dateDone: new Date(clock * 1000),
  name: null,
  args: null,
  kwargs: null,
  worker: null,
  queue: null,
  retries: null,
  dateStarted: null,
  ...fields,
});

describe('the precedence guard', () => {
  it('never lets an unready state replace a ready one, RETRY included', () => {
    for (const current of READY_STATES) {
      for (const next of STATES.filter((s) => !READY_STATES.has(s))) {
        expect(replaces(next, current), `${next} over ${current}`).toBe(false);
      }
    }
  });

  it("follows Celery's rule for every other pair", () => {
    for (const current of STATES) {
      for (const next of STATES) {
        if (READY_STATES.has(current) && !READY_STATES.has(next)) continue;
        expect(replaces(next, current), `${next} over ${current}`).toBe(supersedes(next, current));
      }
    }
  });

  it('lets a rewrite of the same state through, and anything replace a hidden row', () => {
    for (const state of STATES) expect(replaces(state, state)).toBe(true);
    expect(replaces('PENDING', 'SUCCESS', true)).toBe(true);
  });

  it('lets RETRY replace a running task and be replaced by its next attempt', () => {
    expect(replaces(RETRY, 'STARTED')).toBe(true);
    expect(replaces('STARTED', RETRY)).toBe(true);
    expect(replaces('PENDING', RETRY)).toBe(true);
  });
});

describe('merging two writes of one task', () => {
  const rows: (StoredTask | null)[] = [
    null,
    ...[...STATES, 'OTHER_CUSTOM'].flatMap((s) => [false, true].map((hidden) => ({ ...applyWrite(null, write(s)), hidden }))),
  ];

  it('leaves the row exactly as applying both in order would, from any starting row, or declines', () => {
    let merged = 0;
    for (const a of STATES) {
      for (const b of STATES) {
        const older = write(a, { name: 'n1', worker: 'w1' });
        const newer = write(b, { worker: 'w2', retries: 1 });
        const one = mergeWrites(older, newer);
        if (one === null) continue;
        merged++;
        for (const row of rows) {
          const label = `${row?.status ?? 'none'}${row?.hidden ? ' (hidden)' : ''} <- ${a} <- ${b}`;
          expect(applyWrite(row, one), label).toEqual(applyWrite(applyWrite(row, older), newer));
        }
      }
    }
    // Most pairs merge; only the few that RETRY makes order-dependent do not.
    expect(merged).toBeGreaterThan(STATES.length ** 2 * 0.7);
  });

  it('declines exactly the pairs no single write can stand for', () => {
    expect(mergeWrites(write('RETRY'), write('PENDING'))).toBeNull();
    expect(mergeWrites(write('STARTED'), write('SUCCESS'))).not.toBeNull();
    expect(mergeWrites(write('SUCCESS'), write('STARTED'))).not.toBeNull();
    expect(mergeWrites(write('STARTED'), write('RETRY'))).not.toBeNull();
  });

  it('keeps the winning write\'s result and fills descriptive fields from both', () => {
    const merged = mergeWrites(write('STARTED', { name: 'tasks.add', args: '[1]' }), write('SUCCESS', { worker: 'w' }));
    expect(merged).not.toBeNull();
    expect(merged).toMatchObject({ status: 'SUCCESS', name: 'tasks.add', args: '[1]', worker: 'w' });
    const late = mergeWrites(write('SUCCESS', { result: '3' }), write('STARTED', { worker: 'late' }));
    expect(late).toMatchObject({ status: 'SUCCESS', result: '3', worker: 'late' });
  });

  it('un-hides a hidden row and replaces it whole', () => {
    const hidden: StoredTask = { ...applyWrite(null, write('SUCCESS')), hidden: true };
    const after = applyWrite(hidden, write('PENDING', { result: 'null' }));
    expect(after).toMatchObject({ status: 'PENDING', result: 'null', hidden: false });
  });
});
