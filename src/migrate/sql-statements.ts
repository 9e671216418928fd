/**
 * Splits a MySQL script into statements at top-level `;`, honouring
 * '…', "…" and `…` quoting (doubled quotes and backslash escapes), and
 * `-- `, `#` and `/* … *\/` comments. Pieces holding only comments and
 * whitespace are dropped. `DELIMITER` (a mysql-client command, not SQL) is
 * not supported: write routines and triggers as single statements.
 */
export function splitMysqlStatements(script: string): string[] {
  const statements: string[] = [];
  let start = 0;
  let hasCode = false;
  let i = 0;
  const n = script.length;
  const push = (end: number): void => {
    if (hasCode) statements.push(script.slice(start, end).trim());
    start = end + 1;
    hasCode = false;
  };
  while (i < n) {
    const c = script[i];
    const next = script[i + 1];
    if (c === '-' && next === '-' && (i + 2 >= n || /\s/.test(script[i + 2] ?? ''))) {
      i = lineEnd(script, i);
    } else if (c === '#') {
      i = lineEnd(script, i);
    } else if (c === '/' && next === '*') {
      // /*! … */ is MySQL's executable comment: code, not a comment.
      if (script[i + 2] === '!') hasCode = true;
      const close = script.indexOf('*/', i + 2);
      i = close === -1 ? n : close + 2;
    } else if (c === "'" || c === '"' || c === '`') {
      hasCode = true;
      i = quotedEnd(script, i, c);
    } else if (c === ';') {
      push(i);
      i += 1;
    } else {
      if (!/\s/.test(c ?? '')) hasCode = true;
      i += 1;
    }
  }
  push(n);
  return statements;
}

function lineEnd(script: string, from: number): number {
  const end = script.indexOf('\n', from);
  return end === -1 ? script.length : end + 1;
}

function quotedEnd(script: string, open: number, quote: string): number {
  let i = open + 1;
  while (i < script.length) {
    const c = script[i];
    if (c === '\\' && quote !== '`') {
      i += 2;
    } else if (c === quote) {
      if (script[i + 1] === quote) i += 2;
      else return i + 1;
    } else {
      i += 1;
    }
  }
  return script.length;
}
