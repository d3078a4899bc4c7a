// Phone-book entries and their routes. Routes are a tagged union that the SIP
// and Teams bridges extend with their own route types.
export type Route =
  | { type: 'desk-user'; userId: string }
  /** Every user holding this role on the entry's site rings at once (department, reception). */
  | { type: 'desk-group'; roleId: string }
  /** A telephone through the SIP bridge: `user` (an extension or number) at the PBX of SIP account `accountId`. */
  | { type: 'sip'; accountId: string; user: string };

export type EntryKind = 'person' | 'department' | 'reception';

export interface RoutingPolicy {
  /** Seconds a leg rings before the next route is tried. */
  legTimeoutS: number;
  /** Seconds after which the whole call ends with no-answer. */
  capS: number;
}

export const DEFAULT_POLICY: RoutingPolicy = { legTimeoutS: 20, capS: 90 };

/** The range of each policy value in seconds: the domain, the CSV import, the admin API's schema and the admin form all take it from here. */
export const POLICY_LIMITS: Readonly<Record<keyof RoutingPolicy, { min: number; max: number }>> = {
  legTimeoutS: { min: 5, max: 120 },
  capS: { min: 10, max: 600 },
};

export interface PhoneBookEntry {
  id: string;
  siteId: string;
  kind: EntryKind;
  name: string;
  department: string | null;
  routes: Route[];
  policy: RoutingPolicy;
}

export type EntryInput = Omit<PhoneBookEntry, 'id' | 'policy'> & { policy?: Partial<RoutingPolicy> };

/** A SIP user part without escapes: an extension (`7001`), a number (`+4930…`), a name (a SIP route's user; a REFER's target). */
export const SIP_USER = /^[A-Za-z0-9+*._~-]{1,64}$/;
