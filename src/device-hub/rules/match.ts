// Pure parts of rule evaluation: topic filters, payload conditions, the time
// window in a site's time zone, and payload templates. Each returns a reason a
// dry run can show.
import type { Reason } from '../../core/index.ts';
import type { ConditionValue, Rule } from './rule-schema.ts';
import { WEEKDAYS } from './rule-schema.ts';

export function topicMatches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length) return false;
    if (f[i] !== '+' && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}

function valueAt(payload: unknown, path: string): unknown {
  let v: unknown = payload;
  for (const key of path.split('.')) {
    if (typeof v !== 'object' || v === null || !Object.hasOwn(v, key)) return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}

function holds(actual: unknown, cond: ConditionValue): boolean {
  if (cond === null || typeof cond !== 'object') return actual === cond;
  const num = typeof actual === 'number' ? actual : undefined;
  if (cond.exists !== undefined && (actual !== undefined) !== cond.exists) return false;
  if (cond.eq !== undefined && actual !== cond.eq) return false;
  if (cond.ne !== undefined && actual === cond.ne) return false;
  if (cond.in !== undefined && !cond.in.includes(actual as never)) return false;
  if (cond.gt !== undefined && !(num !== undefined && num > cond.gt)) return false;
  if (cond.gte !== undefined && !(num !== undefined && num >= cond.gte)) return false;
  if (cond.lt !== undefined && !(num !== undefined && num < cond.lt)) return false;
  if (cond.lte !== undefined && !(num !== undefined && num <= cond.lte)) return false;
  return true;
}

/** Why a rule would not fire: English for the API, a reason with parameters for the admin page. */
export type Why = Required<Reason> & { message: string };

/** Undefined when every condition on the payload holds, else the first that fails. */
export function failedWhen(when: Rule['trigger']['when'], payload: unknown): Why | undefined {
  for (const [path, cond] of Object.entries(when ?? {})) {
    if (!holds(valueAt(payload, path), cond)) {
      const value = JSON.stringify(valueAt(payload, path)) ?? 'undefined';
      const condition = JSON.stringify(cond);
      return { message: `payload ${path} = ${value} does not satisfy ${condition}`, reason: 'rule.payload', params: { path, value, condition } };
    }
  }
  return undefined;
}

/** Local weekday and minutes since midnight of `at` in `timeZone`. */
export function localTime(at: number, timeZone: string): { day: (typeof WEEKDAYS)[number]; minutes: number } {
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(at);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  const day = get('weekday').toLowerCase().slice(0, 3) as (typeof WEEKDAYS)[number];
  return { day, minutes: Number(get('hour')) * 60 + Number(get('minute')) };
}

const toMinutes = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** Undefined when `at` lies in the window (which may cross midnight), else why not. */
export function failedTime(window: NonNullable<NonNullable<Rule['conditions']>['time']>, at: number, timeZone: string): Why | undefined {
  const { day, minutes } = localTime(at, timeZone);
  const from = toMinutes(window.from);
  const to = toMinutes(window.to);
  const inside = from <= to ? minutes >= from && minutes < to : minutes >= from || minutes < to;
  // A window crossing midnight belongs to the day it started on.
  const startDay = from > to && minutes < to ? WEEKDAYS[(WEEKDAYS.indexOf(day) + 6) % 7]! : day;
  if (!inside) {
    const time = `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
    return { message: `local time ${time} (${timeZone}) is outside ${window.from}-${window.to}`, reason: 'rule.time', params: { time, timeZone, from: window.from, to: window.to } };
  }
  if (window.days && !window.days.includes(startDay)) {
    return { message: `${startDay} is not one of ${window.days.join(', ')}`, reason: 'rule.day', params: { day: startDay, days: window.days.join(', ') } };
  }
  return undefined;
}

/** Replaces {{device}}, {{site}}, {{topic}}, {{door}} and {{payload.path}} in strings, recursively. */
export function render(template: unknown, ctx: { device: string; site: string; topic: string; door: string | null; payload: unknown }): unknown {
  if (typeof template === 'string') {
    return template.replace(/\{\{\s*([a-z_.]+)\s*\}\}/gi, (_, key: string) => {
      const v = key.startsWith('payload.') ? valueAt(ctx.payload, key.slice(8)) : (ctx as unknown as Record<string, unknown>)[key];
      return v === undefined || v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
    });
  }
  if (Array.isArray(template)) return template.map((t) => render(t, ctx));
  if (typeof template === 'object' && template !== null) {
    return Object.fromEntries(Object.entries(template).map(([k, v]) => [k, render(v, ctx)]));
  }
  return template;
}
