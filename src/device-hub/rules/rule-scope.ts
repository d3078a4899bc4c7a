// A rule acts only on its own site: every door, terminal, device and desk user
// it names must belong to that site, and every role it notifies must exist.
// Checked when an admin saves a rule (the refusal names rule and field) and the
// site checks again when it fires (rule files are not checked on load, and a
// user may lose the site's role after the rule was saved).
import type { Rule, RuleProblem } from './rule-schema.ts';

export interface RuleScope {
  /** The site of a door, terminal or device; undefined when there is none by that id. */
  siteOf(kind: 'door' | 'terminal' | 'device', id: string): Promise<string | undefined>;
  /** Whether the user holds a role on the site (or on every site): only then may a rule notify them. */
  isUserOf(userId: string, siteId: string): Promise<boolean>;
  /** Whether a role by this id exists (roles are deployment-wide; a typo would notify nobody). */
  roleExists(roleId: string): Promise<boolean>;
}

export type ScopedKind = 'door' | 'terminal' | 'device' | 'user';

/** Why `id` is out of the rule's reach: unknown and foreign ids get the same words (no probing of other sites). */
export const notOnSite = (kind: ScopedKind, id: string, siteId: string): string => `${kind} ${id} is not a ${kind} of site ${siteId}`;

/** Whether `kind` `id` belongs to `siteId`. */
export async function onSite(scope: RuleScope, kind: ScopedKind, id: string, siteId: string): Promise<boolean> {
  return kind === 'user' ? scope.isUserOf(id, siteId) : (await scope.siteOf(kind, id)) === siteId;
}

/** A template ({{door}}, {{payload.x}}) is resolved only when the rule fires, and checked then. */
const literal = (value: string): boolean => !value.includes('{{');

/** Every literal id a rule names, with its JSON path and kind. */
function references(rule: Rule): Array<{ field: string; kind: ScopedKind; id: string }> {
  const out: Array<{ field: string; kind: ScopedKind; id: string }> = [];
  rule.conditions?.presence?.forEach((p, i) => out.push({ field: `/conditions/presence/${i}/device`, kind: 'device', id: p.device }));
  if (rule.conditions?.terminal_idle) out.push({ field: '/conditions/terminal_idle', kind: 'terminal', id: rule.conditions.terminal_idle });
  rule.actions.forEach((a, i) => {
    const at = `/actions/${i}`;
    if (a.type === 'door.unlock' && literal(a.door)) out.push({ field: `${at}/door`, kind: 'door', id: a.door });
    if ((a.type === 'terminal.show' || a.type === 'call.start') && literal(a.terminal)) out.push({ field: `${at}/terminal`, kind: 'terminal', id: a.terminal });
    if (a.type === 'desk.notify' && a.user !== undefined) out.push({ field: `${at}/user`, kind: 'user', id: a.user });
  });
  return out;
}

/** Every role a rule notifies, with its JSON path (not rendered when firing: always literal). */
const roles = (rule: Rule): Array<{ field: string; id: string }> => rule.actions.flatMap((a, i) =>
  (a.type === 'desk.notify' && a.role !== undefined ? [{ field: `/actions/${i}/role`, id: a.role }] : []));

/** The first field of `rule` that names something outside its site or a role that does not exist, or undefined. */
export async function foreignReference(rule: Rule, scope: RuleScope): Promise<RuleProblem | undefined> {
  const field = (pointer: string) => pointer.slice(1).replaceAll('/', '.');
  for (const ref of references(rule)) {
    if (!(await onSite(scope, ref.kind, ref.id, rule.site))) {
      return { field: ref.field, message: notOnSite(ref.kind, ref.id, rule.site),
        why: { reason: `rule.not-on-site.${ref.kind}`, params: { field: field(ref.field), id: ref.id, site: rule.site } } };
    }
  }
  for (const role of roles(rule)) {
    if (!(await scope.roleExists(role.id))) {
      return { field: role.field, message: `role ${role.id} does not exist`, why: { reason: 'rule.unknown-role', params: { field: field(role.field), role: role.id } } };
    }
  }
  return undefined;
}
