// What the admin page shows, as changes: which section of the page a domain event
// touched and on which site. Audited changes (every admin API write is audited)
// and live state (calls, call quality, devices and kiosks coming and going) map
// to { section, siteId }; the page refetches that section through the API.
import type { Permission, Roles } from '../access/index.ts';
import type { Sites } from '../sites/index.ts';
import type { AuditEntry } from '../audit/index.ts';
import type { AdminChange, AdminSection } from './contract.ts';

/**
 * Who may hear of a section's changes: the permission its GET route demands, on
 * the change's site (`site`) or deployment-wide (`deployment`, as the route asks).
 */
export const SECTION_ACCESS: Readonly<Record<AdminSection, { permission: Permission; scope: 'site' | 'deployment' }>> = {
  sites: { permission: 'site.admin', scope: 'site' },
  calls: { permission: 'call.answer', scope: 'site' },
  quality: { permission: 'report.read', scope: 'site' },
  phonebook: { permission: 'call.answer', scope: 'site' },
  terminals: { permission: 'terminal.admin', scope: 'deployment' },
  devices: { permission: 'device.admin', scope: 'site' },
  cards: { permission: 'device.admin', scope: 'site' },
  rules: { permission: 'rules.write', scope: 'site' },
  welcome: { permission: 'site.admin', scope: 'site' },
  users: { permission: 'user.admin', scope: 'deployment' },
  audit: { permission: 'audit.read', scope: 'deployment' },
  // A site's alerts to report.read on it; a gateway-wide one (siteId null) to report.read deployment-wide, as GET /api/alerts.
  alerts: { permission: 'report.read', scope: 'site' },
};

/** Sections an audited action changes when it succeeded (besides the audit log itself); by action, then by its first word. */
const BY_ACTION: Readonly<Record<string, readonly AdminSection[]>> = {
  'site.welcome': ['welcome'], 'site.logo': ['welcome'], 'site.logo.remove': ['welcome'],
  'door.create': ['sites'], 'door.update': ['sites'], 'door.delete': ['sites'],
  'card.issue': ['cards'], 'card.remove': ['cards'], 'card.update': ['cards'],
  'rule.write': ['rules'], 'rule.delete': ['rules'],
  'privacy.erase': ['users', 'phonebook', 'cards'],
};
const BY_WORD: Readonly<Record<string, readonly AdminSection[]>> = {
  site: ['sites'], phonebook: ['phonebook'], terminal: ['terminals'], 'door-station': ['terminals'], device: ['devices'], user: ['users'], role: ['users'],
};
/** credential.issue names the credential's kind as its target type; rotate and revoke come from Credentials' own events. */
const BY_CREDENTIAL_KIND: Readonly<Record<string, AdminSection>> = { terminal: 'terminals', device: 'devices' };

/** The sections an audit entry touched: always the audit log; a successful change also its own section. */
export function changesOfEntry(entry: AuditEntry): AdminChange[] {
  const siteId = entry.siteId ?? null;
  const changes: AdminChange[] = [{ section: 'audit', siteId: null }];
  if (entry.outcome !== 'ok') return changes;
  const sections = BY_ACTION[entry.action]
    ?? (entry.action === 'credential.issue' && entry.target && BY_CREDENTIAL_KIND[entry.target.type] ? [BY_CREDENTIAL_KIND[entry.target.type]!] : undefined)
    ?? BY_WORD[entry.action.split('.')[0]!]
    ?? [];
  for (const section of sections) changes.push({ section, siteId });
  return changes;
}

/** A credential rotated or revoked: the list it appears in (terminals, devices), or none. */
export function changeOfCredential(credential: { kind: string; siteId: string | null }): AdminChange | undefined {
  const section = BY_CREDENTIAL_KIND[credential.kind];
  return section && { section, siteId: credential.siteId };
}

/** A device whose presence is its door's status (the doors in the sites section): a door or panel of one door. */
export const doorController = (device: { kind: string; doorId: string | null }): boolean =>
  (device.kind === 'door' || device.kind === 'panel') && device.doorId !== null;

/** One key per change, so a burst of the same change goes out once. */
export const changeKey = (c: AdminChange): string => `${c.section}\u0000${c.siteId ?? ''}`;

/** Whether the user holds a permission some admin section needs, on some site or deployment-wide: who may use the admin namespace (and read its change mark). */
export async function administersAnything(d: { roles: Pick<Roles, 'canAny'>; sites: Pick<Sites, 'list'> }, userId: string): Promise<boolean> {
  const permissions = [...new Set(Object.values(SECTION_ACCESS).map((a) => a.permission))];
  return d.roles.canAny({ type: 'user', id: userId }, permissions, (await d.sites.list()).map((s) => s.id));
}
