// A list the admin page loads from several places at once — the first load, an
// action's reload, a live change (admin.changed) — whose answers can come back
// out of order: only the answer to the request made last is shown. An older
// answer arriving later put back the list from before a change (the fresh-clone
// run of stop 21: a phone-book entry just created never appeared).
import { useRef, useState } from 'preact/hooks';

export function useLatestList<T>(initial: T): [T, (request: Promise<T>) => Promise<void>] {
  const [value, setValue] = useState<T>(initial);
  const issued = useRef(0);
  const load = (request: Promise<T>): Promise<void> => {
    const n = ++issued.current;
    return request.then((v) => { if (n === issued.current) setValue(v); });
  };
  return [value, load];
}
