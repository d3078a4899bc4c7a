// A list the admin page loads from several places at once — the first load, an
// action's reload, a live change (admin.changed) — whose answers can come back
// out of order: only the answer to the request made last is shown. An older
// answer arriving later put back the list from before a change (the fresh-clone
// run of stop 21: a phone-book entry just created never appeared).
import { useRef, useState } from 'preact/hooks';

/** [the list, load it (the answer to the request made last wins), show a value at once (answers asked for before it are dropped)]. */
export function useLatestList<T>(initial: T): [T, (request: Promise<T>) => Promise<void>, (value: T) => void] {
  const [value, setValue] = useState<T>(initial);
  const issued = useRef(0);
  const load = (request: Promise<T>): Promise<void> => {
    const n = ++issued.current;
    return request.then((v) => { if (n === issued.current) setValue(v); });
  };
  const show = (v: T): void => { issued.current += 1; setValue(v); };
  return [value, load, show];
}
