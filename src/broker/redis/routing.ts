/**
 * How kombu 5.2's Redis transport routes a message, as pure functions:
 *
 * - A queue is a Redis list, one per priority step: the queue's own name
 *   for step 0, `<queue>\x06\x16<step>` for the others.
 * - A binding is a member `<routing key>\x06\x16<pattern>\x06\x16<queue>`
 *   of the set `_kombu.binding.<exchange>`; `pattern` is empty for a direct
 *   exchange and kombu's regular expression for a topic one.
 * - The anonymous exchange "" routes to the queue its routing key names;
 *   any other exchange routes to the queues its bindings select.
 */
import { ProtocolError } from '../../core/protocol/errors.js';

/** kombu's `sep`: between a queue and its priority step, and between a binding's fields. */
export const SEPARATOR = '\x06\x16';

/** kombu's default `priority_steps`. */
export const PRIORITY_STEPS: readonly number[] = [0, 3, 6, 9];

/** The highest priority kombu's virtual transports keep (its `max_priority`). */
const MAX_PRIORITY = 9;

/** The set holding an exchange's bindings (kombu's `keyprefix_queue`). */
export const bindingKey = (exchange: string): string => `_kombu.binding.${exchange}`;

export interface Binding {
  readonly routingKey: string;
  /** kombu's regular expression for a topic binding; empty for a direct one. */
  readonly pattern: string;
  readonly queue: string;
}

export const bindingMember = (binding: Binding): string => [binding.routingKey, binding.pattern, binding.queue].join(SEPARATOR);

/**
 * A set member read back; undefined for one that is not three fields (kombu
 * would fail on it, here it just binds nothing).
 */
export function parseBindingMember(member: string): Binding | undefined {
  const fields = member.split(SEPARATOR);
  if (fields.length !== 3) return undefined;
  const [routingKey = '', pattern = '', queue = ''] = fields;
  return { routingKey, pattern, queue };
}

/** The binding kombu stores when Celery declares queue `q`: exchange `q`, direct, routing key `q`. */
export const queueBinding = (queue: string): { exchange: string; member: string } => ({
  exchange: queue,
  member: bindingMember({ routingKey: queue, pattern: '', queue }),
});

/**
 * The priority step a message's priority falls in: kombu clamps it to
 * 0..9 and takes the highest step not above it (5 → 3, 255 → 9).
 */
export function priorityStep(priority: number | undefined): number {
  const clamped = Math.max(0, Math.min(MAX_PRIORITY, Math.trunc(priority ?? 0)));
  let step = PRIORITY_STEPS[0] ?? 0;
  for (const candidate of PRIORITY_STEPS) if (candidate <= clamped) step = candidate;
  return step;
}

/** The list a message of this priority is pushed onto. */
export function priorityList(queue: string, priority: number | undefined): string {
  const step = priorityStep(priority);
  return step === 0 ? queue : `${queue}${SEPARATOR}${step}`;
}

export type ExchangeKind = 'direct' | 'topic';

/**
 * An exchange's type as its bindings tell it. kombu takes the type from the
 * exchange declarations made on the publishing connection, which a
 * publisher that declares only queues never made for someone else's
 * exchange (kombu then treats it as direct). A topic binding always
 * carries a pattern, so the bindings tell what the worker declared.
 */
export const exchangeKind = (bindings: readonly Binding[]): ExchangeKind => (bindings.some((b) => b.pattern !== '') ? 'topic' : 'direct');

/**
 * The queues a message for `exchange` with `routingKey` goes to, each once:
 * for "" the queue the routing key names; for a direct exchange those
 * bound with exactly that key; for a topic exchange those whose binding
 * key matches (topicMatches). Empty when nothing is bound that matches.
 */
export function queuesFor(exchange: string, routingKey: string, bindings: readonly Binding[]): string[] {
  if (exchange === '') return [routingKey];
  const matches =
    exchangeKind(bindings) === 'topic'
      ? (b: Binding) => b.queue !== '' && topicMatches(b.routingKey, routingKey)
      : (b: Binding) => b.routingKey === routingKey;
  return [...new Set(bindings.filter(matches).map((b) => b.queue))];
}

// kombu turns a topic binding key into a regular expression word by word:
// "*" becomes `.*?[^\.]` and "#" becomes `.*?`, joined by `\.` and anchored.
// That is looser than AMQP: "a.*" also matches "a.b.c", and "a.#" needs a
// word after "a.". Python's "." is "anything but a newline" and its "$"
// also matches before a final newline; the JS below says the same.
const ANY = '[^\\n]';
const WILDCARDS: Readonly<Record<string, string>> = { '*': `${ANY}*?[^.]`, '#': `${ANY}*?` };
const compiled = new Map<string, RegExp>();

/** Whether kombu's topic exchange routes `routingKey` to a queue bound with `bindingKey`. */
export function topicMatches(bindingKey: string, routingKey: string): boolean {
  let regex = compiled.get(bindingKey);
  if (regex === undefined) {
    regex = topicRegex(bindingKey);
    compiled.set(bindingKey, regex);
  }
  return regex.test(routingKey);
}

function topicRegex(bindingKey: string): RegExp {
  // kombu escapes every character but letters, digits, ".", "#" and "*"
  // and so leaves a "*" inside a word a repetition, as here.
  const words = bindingKey.split('.').map((word) => WILDCARDS[word] ?? word.replace(/[\\^$.|?+()[\]{}/-]/g, '\\$&'));
  try {
    return new RegExp(`^${words.join('\\.')}\\n?$`);
  } catch (cause) {
    throw new ProtocolError(`the topic binding key "${bindingKey}" is no pattern kombu can match (a "*" inside a word repeats what precedes it)`, { cause });
  }
}
