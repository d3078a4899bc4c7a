// The admin page's live updates instead of polling: one socket on /admin (the
// session cookie signs it in). Each admin.changed { section, siteId } makes the
// sections that show it refetch through the API, once per burst; a reconnect
// refetches every section (changes may have been missed); a socket the gateway
// ends (sign-out, expired session, no admin permission left) ends the page's view.
// <html data-live="on|off"> tells whether changes arrive now.
import { createContext } from 'preact';
import { useContext, useEffect, useRef } from 'preact/hooks';
import { io, type Socket } from 'socket.io-client';
import type { AdminChange, AdminSection, ServerToAdmin } from '../../../src/signaling/contract.ts';

interface Watcher { section: AdminSection; site: string | undefined; load: () => unknown; due: boolean }

export class AdminLive {
  readonly #socket: Socket<ServerToAdmin>;
  readonly #watchers = new Set<Watcher>();
  #connectedBefore = false;

  /** ended: the gateway closed the socket or refused it (the page checks whether the session is still there). */
  constructor(ended: () => void) {
    this.#socket = io('/admin', { transports: ['websocket'] });
    this.#socket.on('connect', () => {
      document.documentElement.dataset.live = 'on';
      if (this.#connectedBefore) for (const w of this.#watchers) this.#due(w);
      this.#connectedBefore = true;
    });
    this.#socket.on('admin.changed', (change) => this.#changed(change));
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

  /** Several changes in one burst refetch once. */
  #due(w: Watcher): void {
    if (w.due) return;
    w.due = true;
    // A promise job, not queueMicrotask (which a page's fake clock in tests may hold back).
    void Promise.resolve().then(() => { w.due = false; if (this.#watchers.has(w)) return w.load(); }).catch(() => undefined);
  }
}

export const LiveContext = createContext<AdminLive | null>(null);

/** Refetches with `load` (its latest version) whenever `section` changes on `site` (any site when undefined). */
export function useLive(section: AdminSection, site: string | undefined, load: () => unknown): void {
  const live = useContext(LiveContext);
  const latest = useRef(load);
  latest.current = load;
  useEffect(() => live?.watch(section, site, () => latest.current()), [live, section, site]);
}
