// Random Celery crontabs against an independent brute force: every UTC
// minute of a window around a DST transition, turned into the zone's wall
// time with luxon and matched field by field, with the DST policy applied
// (fixed hours: a gap's skipped matches run once at its end, a repeated wall
// time only at its first occurrence; every-hour entries: every real match).
import { IANAZone } from 'luxon';
import { describe, expect, it } from 'vitest';
import { CrontabSchedule } from '../../src/scheduler/schedules/index.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

// A transition of each zone (UTC), some at midnight, some by 30 or 45 minutes; Kolkata has none.
const TRANSITIONS: readonly (readonly [string, string])[] = [
  ['Europe/Berlin', '2026-03-29T01:00Z'],
  ['Europe/Berlin', '2026-10-25T01:00Z'],
  ['America/New_York', '2026-03-08T07:00Z'],
  ['America/New_York', '2026-11-01T06:00Z'],
  ['Australia/Lord_Howe', '2026-04-04T15:00Z'],
  ['Australia/Lord_Howe', '2026-10-03T15:30Z'],
  ['Pacific/Chatham', '2026-04-04T14:00Z'],
  ['Pacific/Chatham', '2026-09-26T14:00Z'],
  ['America/Sao_Paulo', '2018-11-04T03:00Z'],
  ['America/Sao_Paulo', '2019-02-17T02:00Z'],
  ['America/Havana', '2026-03-08T05:00Z'],
  ['America/Havana', '2026-11-01T05:00Z'],
  ['Asia/Kolkata', '2026-03-29T01:00Z'],
];

// mulberry32: small, seeded, good enough to pick test cases.
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Field {
  text: string;
  values: Set<number>;
}

const DAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

// A random field in Celery syntax with the values it means, worked out here rather than by the parser.
function randomField(random: () => number, min: number, max: number, starChance: number, near?: number): Field {
  const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
  const all = Array.from({ length: max - min + 1 }, (_, i) => min + i);
  const pick = () => (near !== undefined && random() < 0.6 ? int(Math.max(min, near - 1), Math.min(max, near + 1)) : int(min, max));
  const r = random();
  if (r < starChance) return { text: '*', values: new Set(all) };
  if (r < starChance + 0.15) {
    const step = int(2, 7);
    return { text: `*/${step}`, values: new Set(all.filter((_, i) => i % step === 0)) };
  }
  if (r < starChance + 0.35) {
    const from = pick();
    const to = pick();
    const step = random() < 0.5 ? 1 : int(2, 3);
    // Celery wraps a range whose end comes before its start.
    const span = to >= from ? all.filter((v) => v >= from && v <= to) : [...all.filter((v) => v >= from), ...all.filter((v) => v <= to)];
    return { text: `${from}-${to}${step > 1 ? `/${step}` : ''}`, values: new Set(span.filter((_, i) => i % step === 0)) };
  }
  const values = new Set(Array.from({ length: int(1, 3) }, pick));
  return { text: [...values].join(','), values };
}

function randomCrontab(random: () => number, wallHourOfTransition: number) {
  const dow = randomField(random, 0, 6, 0.7);
  return {
    minute: randomField(random, 0, 59, 0.15, random() < 0.5 ? 0 : 30),
    hour: randomField(random, 0, 23, 0.35, wallHourOfTransition),
    dayOfMonth: randomField(random, 1, 31, 0.85),
    monthOfYear: { text: '*', values: new Set(Array.from({ length: 12 }, (_, i) => i + 1)) },
    // Names now and then (not in a step), to cover them too.
    dayOfWeek: random() < 0.3 ? { ...dow, text: dow.text.replace(/^[^/]*/, (head) => head.replace(/\d/g, (d) => DAY_NAMES[Number(d)] ?? d)) } : dow,
  };
}

type Crontab = ReturnType<typeof randomCrontab>;

function bruteForceRuns(crontab: Crontab, zone: string, from: number, to: number): number[] {
  const offset = (t: number) => IANAZone.create(zone).offset(t) * MINUTE;
  const matches = (wall: Date) =>
    crontab.minute.values.has(wall.getUTCMinutes()) &&
    crontab.hour.values.has(wall.getUTCHours()) &&
    crontab.dayOfMonth.values.has(wall.getUTCDate()) &&
    crontab.monthOfYear.values.has(wall.getUTCMonth() + 1) &&
    crontab.dayOfWeek.values.has(wall.getUTCDay());
  const fixedHours = crontab.hour.values.size < 24;
  const seenWall = new Set<number>();
  const runs: number[] = [];
  // Start early enough to have seen the first pass of any repeated wall time.
  for (let t = from - 3 * HOUR, previousWall = t - MINUTE + offset(t - MINUTE); t <= to; t += MINUTE) {
    const wall = t + offset(t);
    let run = matches(new Date(wall)) && !(fixedHours && seenWall.has(wall));
    if (fixedHours) {
      for (let skipped = previousWall + MINUTE; skipped < wall && !run; skipped += MINUTE) run = matches(new Date(skipped));
    }
    seenWall.add(wall);
    previousWall = wall;
    if (run && t > from) runs.push(t);
  }
  return runs;
}

describe('random crontabs against a brute-force minute scan', () => {
  const random = prng(20_260_329);
  const cases = Array.from({ length: 130 }, (_, i) => {
    const [zone, transition] = TRANSITIONS[i % TRANSITIONS.length] ?? TRANSITIONS[0]!;
    const at = Date.parse(transition);
    const wallHour = new Date(at + IANAZone.create(zone).offset(at) * MINUTE).getUTCHours();
    // A 40-hour window starting up to a day before the transition, at any minute.
    const from = at - 30 * HOUR + Math.floor(random() * 24 * 60) * MINUTE;
    return { zone, from, to: from + 40 * HOUR, crontab: randomCrontab(random, wallHour) };
  });

  it.each(cases)('$crontab.minute.text $crontab.hour.text $crontab.dayOfMonth.text * $crontab.dayOfWeek.text in $zone', ({ zone, from, to, crontab }) => {
    const schedule = new CrontabSchedule({
      minute: crontab.minute.text,
      hour: crontab.hour.text,
      dayOfMonth: crontab.dayOfMonth.text,
      monthOfYear: crontab.monthOfYear.text,
      dayOfWeek: crontab.dayOfWeek.text,
      timezone: zone,
    });
    const actual: number[] = [];
    for (let run = schedule.nextRunAfter(new Date(from)); run !== null && run.getTime() <= to; run = schedule.nextRunAfter(run)) {
      actual.push(run.getTime());
    }
    const show = (ts: number[]) => ts.map((t) => new Date(t).toISOString());
    expect(show(actual)).toEqual(show(bruteForceRuns(crontab, zone, from, to)));
  });

  it('windows include the transitions they are about', () => {
    for (const [zone, transition] of TRANSITIONS.filter(([zone]) => zone !== 'Asia/Kolkata')) {
      const at = Date.parse(transition);
      expect(IANAZone.create(zone).offset(at - MINUTE), `${zone} ${transition}`).not.toBe(IANAZone.create(zone).offset(at));
    }
  });
});
