/**
 * Splits a MySQL script into statements at top-level `;`, as the server
 * would parse the same text sent as one multi-statement query (what the
 * native engine does):
 * - '…', "…" and `…` quoting (doubled quotes, backslash escapes);
 * - `-- `, `#` and `/* … *\/` comments (`/*! … *\/` is code);
 * - the body of CREATE TRIGGER / PROCEDURE / FUNCTION / EVENT: its
 *   BEGIN … END blocks hold `;`s that do not end the statement.
 * Pieces holding only comments and whitespace are dropped. `DELIMITER` is
 * a command of the mysql client, not SQL: do not use it in migrations.
 */
export function splitMysqlStatements(script: string): string[] {
  const statements: string[] = [];
  let start = 0;
  let code = ''; // the statement's words so far, comments and literals left out
  let depth = 0; // open BEGIN/CASE blocks inside a routine or trigger body
  let i = 0;
  const n = script.length;
  const push = (end: number): void => {
    if (code.trim() !== '') statements.push(script.slice(start, end).trim());
    start = end + 1;
    code = '';
    depth = 0;
  };
  while (i < n) {
    const c = script[i] ?? '';
    const next = script[i + 1];
    if (c === '-' && next === '-' && (i + 2 >= n || /\s/.test(script[i + 2] ?? ''))) {
      i = lineEnd(script, i);
    } else if (c === '#') {
      i = lineEnd(script, i);
    } else if (c === '/' && next === '*') {
      const close = script.indexOf('*/', i + 2);
      const end = close === -1 ? n : close + 2;
      if (script[i + 2] === '!') code += ` ${script.slice(i + 3, close === -1 ? n : close)} `;
      i = end;
    } else if (c === "'" || c === '"' || c === '`') {
      const end = quotedEnd(script, i, c);
      code += c === '`' ? '`x`' : "'x'";
      i = end;
    } else if (c === ';' && depth === 0) {
      push(i);
      i += 1;
    } else if (/[A-Za-z_]/.test(c)) {
      const word = /^[A-Za-z_][A-Za-z0-9_$]*/.exec(script.slice(i, i + 64))?.[0] ?? c;
      code += word;
      i += word.length;
      if (isCompoundDefinition(code)) {
        const upper = word.toUpperCase();
        if (upper === 'BEGIN' || upper === 'CASE') depth += 1;
        if (upper === 'END') {
          // END IF / LOOP / WHILE / REPEAT close what was never counted;
          // END CASE and a plain END close a BEGIN or CASE.
          const closing = /^\s+(IF|LOOP|WHILE|REPEAT|CASE)\b/i.exec(script.slice(i, i + 64));
          if (closing) {
            code += closing[0];
            i += closing[0].length;
          }
          if (!closing || closing[1]?.toUpperCase() === 'CASE') depth = Math.max(0, depth - 1);
        }
      }
    } else {
      code += c;
      i += 1;
    }
  }
  push(n);
  return statements;
}

/** CREATE [OR REPLACE] [DEFINER = …] [AGGREGATE] TRIGGER|PROCEDURE|FUNCTION|EVENT … */
function isCompoundDefinition(code: string): boolean {
  return /^\s*CREATE\s+(OR\s+REPLACE\s+)?(DEFINER\s*=\s*[^\s@]+(\s*@\s*\S+)?\s+)?(AGGREGATE\s+)?(TRIGGER|PROCEDURE|FUNCTION|EVENT)\b/i.test(code);
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
