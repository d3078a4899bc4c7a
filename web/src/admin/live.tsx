// The admin page's live updates instead of polling: one socket on /admin (the
// session cookie signs it in). Each admin.changed { section, siteId } makes the
// sections that show it refetch through the API, once per burst. The first connect
// hands over the change mark the page read before its first loads (GET
// /api/auth/me, X-Portier-Change-Seq): the gateway names the sections changed since,
// so a change between a section's first load and the socket's connect shows, and
// nothing else is fetched twice (admin.resync: the mark was another process's,
// refetch all). A reconnect refetches every section (changes may have been missed);
// a socket the gateway ends (sign-out, expired session, no admin permission left)
// ends the page's view. <html data-live="on|off"> tells whether changes arrive now.
import { createContext } from 'preact';
import { useContext, useEffect, useRef } from 'preact/hooks';
import { io, type Socket } from 'socket.io-client';
import type { AdminChange, AdminSection, ServerToAdmin } from '../../../src/signaling/contract.ts';

interface Watcher { section: AdminSection; site: string | undefined; load: () => unknown; due: boolean }

export class AdminLive {
  readonly #socket: Socket<ServerToAdmin>;
  readonly #watchers = new Set<Watcher>();
  #connectedBefore = false;

  /**
   * ended: the gateway closed the socket or refused it (the page checks whether the session is still there).
   * since: the change mark read before the page's first loads (changeMark), null when the gateway sent none.
   */
  constructor(ended: () => void, since: string | null) {
    // Asked at each attempt: only a first connect asks for the changes since the mark.
    const auth = (cb: (data: object) => void) => cb(this.#connectedBefore || since === null ? {} : { since });
    this.#socket = io('/admin', { transports: ['websocket'], auth });
    this.#socket.on('connect', () => {
      document.documentElement.dataset.live = 'on';
      if (this.#connectedBefore) this.#all();
      this.#connectedBefore = true;
    });
    this.#socket.on('admin.changed', (change) => this.#changed(change));
    this.#socket.on('admin.resync', () => this.#all());
    this.#socket.on('disconnect', (reason) => {
      document.documentElement.dataset.live = 'off';
      if (reason === 'io server disconnect') ended();
    });
    // Refused by the gateway's middleware (socket.io does not retry that one).
    this.#socket.on('connect_error', () => { if (!this.#socket.active) ended(); });
  }

  /** Calls `load` when `section` changes on `site` (any site when undefined, or a deployment-wide change); returns the unwatch. */
  watch(section: AdminSection, site: string | undefined, load: () => unknown): () => void {
    const watcher: Watcher = { section, site, load, due: false };
    this.#watchers.add(watcher);
    return () => this.#watchers.delete(watcher);
  }

  close(): void {
    this.#watchers.clear();
    this.#socket.close();
  }

  #changed(change: AdminChange): void {
    for (const w of this.#watchers) {
      if (w.section === change.section && (w.site === undefined || change.siteId === null || change.siteId === w.site)) this.#due(w);
    }
  }

  #all(): void {
    for (const w of this.#watchers) this.#due(w);
  }

  /** Several changes in one burst refetch once. */
  #due(w: Watcher): void {
    if (w.due) return;
    w.due = true;
    // A promise job, not queueMicrotask (which a page's fake clock in tests may hold back).
    void Promise.resolve().then(() => { w.due = false; if (this.#watchers.has(w)) return w.load(); }).catch(() => undefined);
  }
}

/** The page's sign-in check (throws when signed out), read before anything else: the change mark its live socket's first connect hands over. */
export async function changeMark(): Promise<string | null> {
  const res = await fetch('/api/auth/me', { credentials: 'same-origin' });
  if (!res.ok) throw new Error(`/api/auth/me: ${res.status}`);
  return res.headers.get('x-portier-change-seq');
}

export const LiveContext = createContext<AdminLive | null>(null);

/** Refetches with `load` (its latest version) whenever `section` changes on `site` (any site when undefined). */
export function useLive(section: AdminSection, site: string | undefined, load: () => unknown): void {
  const live = useContext(LiveContext);
  const latest = useRef(load);
  latest.current = load;
  useEffect(() => live?.watch(section, site, () => latest.current()), [live, section, site]);
}
