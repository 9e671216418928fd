import type { JsonValue } from './json-value.js';
import { pythonNumber } from './python-number.js';

/**
 * Port of celery.utils.saferepr.saferepr (Celery 5.2.6), which writes the
 * `argsrepr`/`kwargsrepr` headers that events, Flower and logs show. It is
 * not Python's repr: strings are always single-quoted with only "'" escaped
 * (no backslash or control-character escapes), containers nested deeper than
 * three levels print as "[...]"/"{...}", and output is cut at `maxlen`
 * characters (Celery passes 1024) with its own quirks: a string that reaches
 * the limit loses its last partial word and gains "...", then ", ..." and
 * the brackets still open close the text. The streaming algorithm is kept
 * as in Python so those quirks come out the same. Lengths count code
 * points, as Python's len() does.
 */
export function saferepr(value: JsonValue, maxlen = 1024): string {
  let budget = maxlen;
  const out: string[] = [];
  const stack: Iterator<Item>[] = [[value][Symbol.iterator]()];
  const tokens = reprstream(stack);
  for (let step = tokens.next(); !step.done; step = tokens.next()) {
    const [token, source] = step.value;
    if (budget <= 0) {
      out.push(', ...');
      stack.push(source);
      break;
    }
    let text: string;
    if (token instanceof Literal) text = token.value;
    else if (token instanceof Key || token instanceof Quoted) text = formatChars(token.value, budget);
    else text = truncate(token, budget);
    out.push(text);
    budget -= codePoints(text).length;
  }
  // Past the limit only the closing brackets of what is open are written.
  for (const rest of stack) {
    for (let step = rest.next(); !step.done; step = rest.next()) {
      if (step.value instanceof Literal && !step.value.truncate) out.push(step.value.value);
    }
  }
  return out.join('');
}

const MAX_LEVELS = 3;

class Literal {
  constructor(
    readonly value: string,
    readonly truncate: boolean,
    readonly direction: -1 | 0 | 1,
  ) {}
}
class Key {
  constructor(readonly value: string) {}
}
class Quoted {
  constructor(readonly value: string) {}
}

type Item = Literal | Key | JsonValue;
type Token = Literal | Key | Quoted | string;

const DICT_START = new Literal('{', false, 1);
const DICT_KVSEP = new Literal(': ', true, 0);
const DICT_END = new Literal('}', false, -1);
const LIST_START = new Literal('[', false, 1);
const LIST_SEP = new Literal(', ', true, 0);
const LIST_END = new Literal(']', false, -1);

// Iterators are advanced by hand throughout: for..of would close them on
// break, and the text past the limit is read from the same iterators.
function* reprstream(stack: Iterator<Item>[]): Generator<[Token, Iterator<Item>]> {
  let level = 0;
  while (stack.length > 0) {
    const it = stack.shift() as Iterator<Item>;
    for (let step = it.next(); !step.done; step = it.next()) {
      const val = step.value;
      if (val instanceof Literal) {
        level += val.direction;
        yield [val, it];
      } else if (val instanceof Key) {
        yield [val, it];
      } else if (val === null) {
        yield ['None', it];
      } else if (typeof val === 'boolean') {
        yield [val ? 'True' : 'False', it];
      } else if (typeof val === 'number') {
        yield [pythonNumber(val), it];
      } else if (typeof val === 'string') {
        yield [new Quoted(val), it];
      } else {
        const [start, end, members] = Array.isArray(val)
          ? [LIST_START, LIST_END, listMembers(val)]
          : [DICT_START, DICT_END, dictMembers(val)];
        if (level >= MAX_LEVELS) {
          yield [`${start.value}...${end.value}`, it];
          continue;
        }
        stack.push(chain(start, members, end, it));
        break;
      }
    }
  }
}

function* chain(start: Literal, members: Iterator<Item>, end: Literal, rest: Iterator<Item>): Iterator<Item> {
  yield start;
  for (let step = members.next(); !step.done; step = members.next()) yield step.value;
  yield end;
  for (let step = rest.next(); !step.done; step = rest.next()) yield step.value;
}

function* listMembers(list: readonly JsonValue[]): Iterator<Item> {
  for (let i = 0; i < list.length; i++) {
    yield list[i] as JsonValue;
    if (i < list.length - 1) yield LIST_SEP;
  }
}

function* dictMembers(dict: { readonly [key: string]: JsonValue }): Iterator<Item> {
  const entries = Object.entries(dict);
  for (let i = 0; i < entries.length; i++) {
    const [key, item] = entries[i] as [string, JsonValue];
    yield new Key(key);
    yield DICT_KVSEP;
    yield item;
    if (i < entries.length - 1) yield LIST_SEP;
  }
}

function formatChars(text: string, maxlen: number): string {
  return `'${truncate(text, maxlen).replaceAll("'", "\\'")}'`;
}

// celery.utils.text.truncate: note ">=", so text exactly maxlen long is cut too.
function truncate(text: string, maxlen: number): string {
  const chars = codePoints(text);
  if (chars.length < maxlen) return text;
  const head = chars.slice(0, maxlen).join('');
  const space = head.lastIndexOf(' ');
  return `${space === -1 ? head : head.slice(0, space)}...`;
}

function codePoints(text: string): string[] {
  return Array.from(text);
}
