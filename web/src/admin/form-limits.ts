// The admin forms' field rules, taken from the routes' own schemas (one source:
// src/http/routes/form-fields.ts), so a limit or pattern changed at the gateway
// changes the form; spread onto an input: <input {...FIELDS.deviceId} />.
import * as F from '../../../src/http/routes/form-fields.ts';

/** What a form field takes from a string or number schema. */
export interface FieldRules { minLength?: number; maxLength?: number; pattern?: string; min?: number; max?: number }

/** Characters a class may not hold unescaped under the v flag, which browsers compile `pattern` with. */
const V_CLASS_SYNTAX = new Set(['(', ')', '[', '{', '}', '/', '|']);

/**
 * A JSON Schema pattern (anchored, for ajv) as an HTML `pattern`: the browser anchors
 * it itself and compiles it with the v flag, where a literal `-` at a class's edge
 * and the class syntax characters must be escaped — unescaped, the pattern is
 * invalid and silently ignored.
 */
export function htmlPattern(schemaPattern: string): string {
  const body = schemaPattern.replace(/^\^/, '').replace(/(?<!\\)\$$/, '');
  let out = '';
  let inClass = false;
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c === '\\') { out += c + (body[i + 1] ?? ''); i++; continue; }
    if (!inClass) {
      out += c;
      if (c === '[') {
        inClass = true;
        if (body[i + 1] === '^') { out += '^'; i++; }
        if (body[i + 1] === '-') { out += '\\-'; i++; }
      }
      continue;
    }
    if (c === ']') { inClass = false; out += c; continue; }
    if (c === '-' && body[i + 1] === ']') { out += '\\-'; continue; }
    out += V_CLASS_SYNTAX.has(c) ? `\\${c}` : c;
  }
  return out;
}

/** The form rules of one field's schema. */
export function fieldRules(schema: { minLength?: number; maxLength?: number; pattern?: string }): FieldRules {
  const rules: FieldRules = {};
  if (schema.minLength !== undefined && schema.minLength > 1) rules.minLength = schema.minLength; // 1 is `required`'s job
  if (schema.maxLength !== undefined) rules.maxLength = schema.maxLength;
  if (schema.pattern !== undefined) rules.pattern = htmlPattern(schema.pattern);
  return rules;
}

/** The form rules of a number field's schema (an integer: the input's step stays 1). */
export function numberRules(schema: { minimum?: number; maximum?: number }): FieldRules {
  return { ...(schema.minimum !== undefined ? { min: schema.minimum } : {}), ...(schema.maximum !== undefined ? { max: schema.maximum } : {}) };
}

/** Every admin form field with a rule of the gateway's. */
export const FIELDS = {
  deviceId: fieldRules(F.DeviceId),
  deviceLabel: fieldRules(F.DeviceLabel),
  terminalName: fieldRules(F.TerminalName),
  sipRouteUser: fieldRules(F.SipRouteUser),
  entryName: fieldRules(F.EntryName),
  entryDepartment: fieldRules(F.EntryDepartment),
  siteId: fieldRules(F.SiteId),
  siteName: fieldRules(F.SiteName),
  timeZone: fieldRules(F.TimeZone),
  login: fieldRules(F.Login),
  displayName: fieldRules(F.DisplayName),
  newPassword: fieldRules(F.NewPassword),
  cardNumber: fieldRules(F.CardNumber),
  holderRef: fieldRules(F.HolderRef),
  stationName: fieldRules(F.StationName),
  stationSipUser: fieldRules(F.StationSipUser),
  relayCode: fieldRules(F.RelayCode),
  legTimeoutS: numberRules(F.LegTimeoutS),
  cueVolume: numberRules(F.CueVolume),
  sipAccountId: fieldRules(F.SipAccountId),
  sipServer: fieldRules(F.SipServer),
  sipAccountUser: fieldRules(F.SipAccountUser),
  sipAccountPassword: fieldRules(F.SipAccountPassword),
  sipDoorCode: fieldRules(F.SipDoorCode),
  sipExpires: numberRules(F.SipExpires),
  sipLocalPort: numberRules(F.SipLocalPort),
  sipInboundNumber: fieldRules(F.SipInboundNumber),
  sipInboundRealm: fieldRules(F.SipInboundRealm),
  sipCallerId: fieldRules(F.SipCallerId),
  sipCallerName: fieldRules(F.SipCallerName),
} as const;
