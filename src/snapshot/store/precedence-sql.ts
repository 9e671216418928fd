/**
 * Celery's "does this state replace that one" rule (core/states
 * `supersedes`) as a SQL expression, so a snapshot written by a camera
 * with a stale picture (restarted, evicted, events missed) never moves a
 * stored task backwards. Pure.
 */
import { precedence, RETRY, STATES_BY_PRECEDENCE } from '../../core/states.js';

/** `CASE <expr> WHEN 'PENDING' THEN 1 … ELSE <custom> END`: the rank of a state, as `precedence()` gives it. */
export function rankSql(expr: string): string {
  const arms = STATES_BY_PRECEDENCE.map((state) => `WHEN '${state}' THEN ${precedence(state)}`).join(' ');
  return `(CASE ${expr} ${arms} ELSE ${precedence('a custom state')} END)`;
}

/** True when `next` (SQL) replaces `current` (SQL): RETRY always replaces and is always replaced. */
export function supersedesSql(next: string, current: string): string {
  return `(${next} = '${RETRY}' OR ${current} = '${RETRY}' OR ${rankSql(next)} >= ${rankSql(current)})`;
}
