// The admin page's lists whose last load failed, each kept until that list loads
// again — whatever other lists load meanwhile. One failure for the whole page was
// cleared as soon as the next list's load started: a phone book refused with 503
// showed as an empty list and no banner (review s27 #5 b).
import { useRef, useState } from 'preact/hooks';
import { ApiError } from '../lib/api.ts';

/** The lists the page loads itself, in the order their failures are shown. */
export const LISTS = ['sites', 'users', 'roles', 'terminals', 'phonebook', 'doors', 'devices'] as const;
export type ListName = (typeof LISTS)[number];
/**
 * A list the admin may not see (403: the permission it needs is not theirs, e.g. a user admin's devices) is no
 * failure: it stays empty, no banner — it used to flash one on every reload, or keep it when it was the last list (review s27 #5 e).
 */
const notTheirs = (error: unknown) => error instanceof ApiError && error.status === 403;
/** The lists that belong to the site shown. */
export const SITE_LISTS: readonly ListName[] = ['phonebook', 'doors', 'devices'];

export interface LoadFailures {
  /** Each list whose last load failed, in LISTS order, with what it was refused with. */
  failed: Array<{ list: ListName; error: unknown }>;
  /** Loads `list`: its value, or undefined when the load failed (then that list's failure until it loads again, unless a 403). */
  show: <V>(list: ListName, load: Promise<V>) => Promise<V | undefined>;
  /** Drops these lists' failures, and the outcome of their loads still under way (another site's lists). */
  forget: (lists: readonly ListName[]) => void;
}

export function useLoadFailures(): LoadFailures {
  const [failures, setFailures] = useState<Partial<Record<ListName, { error: unknown }>>>({});
  // Per list, the load started last: only its outcome counts (answers can come back out of order).
  const issued = useRef<Partial<Record<ListName, number>>>({});
  const next = (list: ListName) => (issued.current[list] = (issued.current[list] ?? 0) + 1);
  const put = (lists: readonly ListName[], failure: { error: unknown } | null) => setFailures((f) => {
    if (failure === null && lists.every((l) => !f[l])) return f;
    const changed = { ...f };
    for (const l of lists) { if (failure) changed[l] = failure; else delete changed[l]; }
    return changed;
  });
  const show = <V>(list: ListName, load: Promise<V>): Promise<V | undefined> => {
    const n = next(list);
    const settled = (failure: { error: unknown } | null) => { if (issued.current[list] === n) put([list], failure); };
    return load.then((v) => { settled(null); return v; }, (error: unknown) => { settled(notTheirs(error) ? null : { error }); return undefined; });
  };
  const forget = (lists: readonly ListName[]) => { lists.forEach(next); put(lists, null); };
  const failed = LISTS.flatMap((list) => (failures[list] ? [{ list, error: failures[list].error }] : []));
  return { failed, show, forget };
}
