// What the admin API answers, as response schemas: the OpenAPI document shows
// them to integrators (/openapi.json, /api-reference) and fastify serialises
// with them. An object the domain may grow keeps additional properties
// (`open`), so a field added later is documented late but never dropped.
import { Type, type TObject, type TProperties, type TSchema } from '@sinclair/typebox';

/** An object with these fields that keeps any others the domain adds (nothing is dropped on serialisation). */
export const open = <P extends TProperties>(properties: P, description?: string): TObject<P> =>
  Type.Object(properties, { additionalProperties: true, ...(description ? { description } : {}) });
/** The same schema with the description the OpenAPI document shows for the response. */
export const described = <S extends TSchema>(description: string, schema: S): S => ({ ...schema, description });

const Nullable = <S extends TSchema>(s: S) => Type.Union([s, Type.Null()]);
const Ms = Type.Integer({ description: 'ms since the epoch' });
const Str = Type.String();

export const SiteView = open({ id: Str, name: Str, timeZone: Type.String({ description: 'IANA time zone, e.g. Europe/Berlin' }) });
export const DoorView = open({ id: Str, siteId: Str, name: Str });
export const DoorStatusView = Type.Object({
  state: Nullable(Type.String({ description: 'the last state its controller reported: closed, open, held-open or forced; null: none reported yet (unknown)' })),
  locked: Nullable(Type.Boolean({ description: 'whether the door is locked, as its controller last reported (locked in its state message); null: it does not say' })),
  at: Nullable(Type.Integer({ description: 'when that state was reported (ms since the epoch)' })),
  controller: Type.Union([Type.Literal('online'), Type.Literal('offline'), Type.Literal('none')], {
    description: 'a door controller (a door or panel device of this door) is connected now (online), registered but not connected (offline), or none is registered',
  }),
}, { additionalProperties: false, description: 'The door as the device hub knows it' });
export const DoorWithStatusView = open({ id: Str, siteId: Str, name: Str, status: DoorStatusView });
export const OpeningHoursView = open({
  hours: Nullable(Type.Array(open({ days: Type.Array(Str), from: Str, to: Str }), { description: 'null: always open' })),
  afterHoursEntryId: Nullable(Str),
});

export const UserView = open({
  id: Str, login: Str, displayName: Str, email: Nullable(Str), disabled: Type.Boolean(), locked: Type.Boolean(),
  hasPassword: Type.Boolean({ description: 'false for accounts that sign in by single sign-on only' }),
});
export const RoleView = open({ id: Str, name: Str, description: Str, builtin: Type.Boolean(), permissions: Type.Array(Str) });
export const AssignmentView = open({ roleId: Str, siteId: Nullable(Type.String({ description: 'null: every site' })) });

export const CredentialView = open({
  id: Str, kind: Type.String({ description: 'api-token, terminal, device or probe' }), siteId: Nullable(Str), doorId: Nullable(Str), label: Str,
  attributes: Type.Record(Str, Type.Unknown()), createdAt: Ms, rotatedAt: Nullable(Ms), revokedAt: Nullable(Ms),
});
export const IssuedView = open({ credential: CredentialView, secret: Type.String({ description: 'shown once; only its hash is stored' }) });

export const AuditRowView = open({
  seq: Type.Integer(), at: Ms, actor_type: Str, actor_id: Nullable(Str), action: Str, target_type: Nullable(Str), target_id: Nullable(Str),
  outcome: Type.String({ description: 'ok, denied or failed' }), site_id: Nullable(Str), correlation_id: Nullable(Str),
  details: Nullable(Type.String({ description: 'JSON text: identifiers and reasons, never personal data' })), hash: Nullable(Str),
  actor_erased: Type.Optional(Type.Boolean({ description: 'the acting person was erased: their pseudonym key is gone, actor_id is null (docs/privacy.md)' })),
  target_erased: Type.Optional(Type.Boolean({ description: 'the target person was erased: their pseudonym key is gone, target_id is null' })),
});

export const PairingView = open({ terminalId: Str, code: Type.String({ description: '8 digits as 1234-5678, single use' }), expiresAt: Ms });
export const TerminalHealthView = open({
  online: Type.Boolean(), since: Ms, able: Type.Boolean({ description: 'whether visitors can call from it now' }),
  problems: Type.Array(Type.String({ description: 'offline, camera, microphone, silent' })),
  report: Nullable(open({}, 'its page\'s last terminal.health report (docs/quality.md)')),
});
export const TerminalListItem = open({
  id: Str, name: Str, siteId: Nullable(Str), doorId: Nullable(Str), createdAt: Ms,
  health: Nullable({ ...TerminalHealthView, description: 'null: not seen since the gateway started' }),
});
export const TerminalRef = open({ id: Str, name: Str, siteId: Nullable(Str), doorId: Type.Optional(Nullable(Str)) });

export const DeviceView = open({
  id: Str, kind: Type.String({ description: 'card-reader, door, panel, sensor, display (integration for API tokens)' }),
  siteId: Str, doorId: Nullable(Str), terminalId: Nullable(Str), credentialId: Str, label: Str, createdAt: Ms, lastSeenAt: Nullable(Ms), revoked: Type.Boolean(),
});
export const DeviceListItem = open({ ...DeviceView.properties, online: Type.Boolean({ description: 'connected to the MQTT broker now' }) });
export const DeviceSecretView = open({ device: DeviceView, secret: Type.String({ description: 'the MQTT password, shown once' }) });

export const RuleView = open({
  id: Str, siteId: Str, version: Type.Integer(), source: Type.String({ description: 'store or file' }), file: Nullable(Str), enabled: Type.Boolean(),
  definition: open({}, 'the rule as written (docs/rules.md)'), updatedAt: Ms,
});
export const RuleVersionView = open({ version: Type.Integer(), definition: Nullable(open({}, 'null: removed in this version')), at: Ms, actor: open({ type: Str, id: Nullable(Str) }) });
export const EvaluationView = open({
  rule: Str, fires: Type.Boolean(), delayed: Type.Optional(Type.Boolean()), reasons: Type.Array(Type.String({ description: 'why it would not fire (English)' })),
  why: Type.Array(open({ reason: Str, params: open({}) })), actions: Type.Array(Str),
});

export const PhoneBookEntryView = open({
  id: Str, siteId: Str, kind: Type.String({ description: 'person, department or reception' }), name: Str, department: Nullable(Str),
  routes: Type.Array(open({ type: Type.String({ description: 'desk-user (userId), desk-group (roleId) or sip (accountId, user)' }) })),
  policy: open({ legTimeoutS: Type.Integer(), capS: Type.Integer() }),
});

export const CallInfoView = open({
  id: Str, siteId: Str, terminalId: Str, entryId: Str, startedAt: Ms, answeredAt: Nullable(Ms), answeredBy: Nullable(Str), endedAt: Nullable(Ms),
  step: open({ step: Type.String({ description: 'ringing, queued, answered, transferring, on-hold or ended' }) }),
  legs: Type.Array(open({ seq: Type.Integer(), state: Str, startedAt: Ms, endedAt: Nullable(Ms), answeredBy: Nullable(Str) })),
  participants: Type.Array(open({ id: Str, kind: Str, audioCodec: Str, joinedAt: Ms, leftAt: Nullable(Ms) })),
});

export const Done = (description: string) => Type.Object({ ok: Type.Boolean() }, { description });
export const NoContent = (description: string) => Type.Null({ description });
