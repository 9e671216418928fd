import { describe, expect, it } from 'vitest';
import { precedence, STATES_BY_PRECEDENCE, supersedes } from '../../src/core/states.js';

describe('state precedence', () => {
  it('orders the states as Celery does', () => {
    expect(STATES_BY_PRECEDENCE).toEqual(['PENDING', 'RETRY', 'REJECTED', 'RECEIVED', 'STARTED', 'REVOKED', 'FAILURE', 'SUCCESS']);
  });

  it('ranks a custom state between FAILURE and REVOKED', () => {
    expect(precedence('PROGRESS')).toBeGreaterThan(precedence('REVOKED'));
    expect(precedence('PROGRESS')).toBeLessThan(precedence('FAILURE'));
  });

  it('never lets an older state replace a newer one, except through RETRY', () => {
    expect(supersedes('STARTED', 'SUCCESS')).toBe(false);
    expect(supersedes('RECEIVED', 'STARTED')).toBe(false);
    expect(supersedes('REJECTED', 'STARTED')).toBe(false);
    expect(supersedes('SUCCESS', 'STARTED')).toBe(true);
    expect(supersedes('STARTED', 'RETRY')).toBe(true);
    expect(supersedes('RETRY', 'STARTED')).toBe(true);
  });
});
