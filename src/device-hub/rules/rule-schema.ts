// A rule as data: trigger (topic filter + JSON conditions on the payload),
// optional conditions (time window in the site's zone, presence, terminal idle),
// delay/cooldown, and actions. Validated once, with the failing field named.
import { Type, type Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { typeboxReason, type Reason } from '../../core/index.ts';

const Slug = Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$' });
const Scalar = Type.Union([Type.String(), Type.Number(), Type.Boolean(), Type.Null()]);
const Comparison = Type.Object({
  eq: Type.Optional(Scalar), ne: Type.Optional(Scalar), in: Type.Optional(Type.Array(Scalar)),
  gt: Type.Optional(Type.Number()), gte: Type.Optional(Type.Number()), lt: Type.Optional(Type.Number()), lte: Type.Optional(Type.Number()),
  exists: Type.Optional(Type.Boolean()),
}, { additionalProperties: false });
const Localised = Type.Object({ de: Type.String({ maxLength: 500 }), en: Type.String({ maxLength: 500 }) }, { additionalProperties: false });
const HHMM = Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$' });
export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;

const Action = Type.Union([
  Type.Object({ type: Type.Literal('door.unlock'), door: Type.String({ minLength: 1, maxLength: 64 }), seconds: Type.Integer({ minimum: 1, maximum: 3600 }) }, { additionalProperties: false }),
  Type.Object({
    type: Type.Literal('mqtt.publish'), topic: Type.String({ minLength: 1, maxLength: 256, pattern: '^portier/[^#+]*$' }),
    payload: Type.Union([Type.String({ maxLength: 4096 }), Type.Record(Type.String(), Type.Unknown())]),
    retain: Type.Optional(Type.Boolean()),
  }, { additionalProperties: false }),
  Type.Object({
    type: Type.Literal('terminal.show'), terminal: Type.String({ minLength: 1, maxLength: 64 }),
    content: Type.Optional(Type.String({ maxLength: 200 })), message: Type.Optional(Localised),
    duration_seconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 3600 })),
  }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('call.start'), terminal: Type.String({ minLength: 1, maxLength: 64 }), target: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false }),
  Type.Object({
    type: Type.Literal('desk.notify'), role: Type.Optional(Type.String({ maxLength: 64 })), user: Type.Optional(Type.String({ maxLength: 64 })),
    text: Type.Union([Type.String({ minLength: 1, maxLength: 500 }), Localised]),
  }, { additionalProperties: false }),
]);

export const RuleDefinition = Type.Object({
  id: Slug,
  site: Slug,
  description: Type.Optional(Type.String({ maxLength: 500 })),
  enabled: Type.Optional(Type.Boolean()),
  trigger: Type.Object({
    /** MQTT topic filter (+ and #) over device topics. */
    topic: Type.String({ minLength: 1, maxLength: 256, pattern: '^portier/' }),
    /** Conditions on payload fields (dotted paths): a value to equal, or a comparison. */
    when: Type.Optional(Type.Record(Type.String({ maxLength: 64 }), Type.Union([Scalar, Comparison]))),
  }, { additionalProperties: false }),
  conditions: Type.Optional(Type.Object({
    time: Type.Optional(Type.Object({
      from: HHMM, to: HHMM, days: Type.Optional(Type.Array(Type.Union(WEEKDAYS.map((d) => Type.Literal(d))), { minItems: 1 })),
    }, { additionalProperties: false })),
    presence: Type.Optional(Type.Array(Type.Object({ device: Slug, online: Type.Boolean() }, { additionalProperties: false }))),
    terminal_idle: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  }, { additionalProperties: false })),
  /** Fire only if the trigger still holds after this long (a later non-matching message on the topic cancels). */
  delay_seconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 86_400 })),
  /** After firing, ignore the trigger from the same device for this long. */
  cooldown_seconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 86_400 })),
  actions: Type.Array(Action, { minItems: 1, maxItems: 10 }),
}, { additionalProperties: false });

export type Rule = Static<typeof RuleDefinition>;
export type RuleAction = Rule['actions'][number];
export type ConditionValue = NonNullable<Rule['trigger']['when']>[string];

const check = TypeCompiler.Compile(RuleDefinition);

/** A refused rule's first problem: its JSON path, English for the API, and the reason the admin page translates. */
export interface RuleProblem { field: string; message: string; why: Reason }
const actionChecks = new Map(Action.anyOf.map((variant) => [variant.properties.type.const as string, TypeCompiler.Compile(variant)]));

/** Names the failing field inside an action by checking it against the variant its `type` selects. */
function actionError(value: unknown, index: number): RuleProblem | undefined {
  const action = (value as { actions?: unknown[] })?.actions?.[index] as { type?: unknown } | undefined;
  const base = `/actions/${index}`;
  if (typeof action !== 'object' || action === null) {
    return { field: base, message: 'must be an object', why: { reason: 'schema.type', params: { field: `actions.${index}`, type: 'object' } } };
  }
  const variant = typeof action.type === 'string' ? actionChecks.get(action.type) : undefined;
  if (!variant) {
    const allowed = [...actionChecks.keys()].join(', ');
    return { field: `${base}/type`, message: `must be one of ${allowed}`, why: { reason: 'schema.enum', params: { field: `actions.${index}.type`, allowed } } };
  }
  const first = variant.Errors(action).First();
  return first && { field: `${base}${first.path}`, message: first.message, why: typeboxReason({ ...first, path: `${base}${first.path}` }) };
}

/** A rule or the first problem: `field` is a JSON path inside the rule. */
export function parseRule(value: unknown): { ok: true; rule: Rule } | ({ ok: false } & RuleProblem) {
  if (check.Check(value)) return { ok: true, rule: value };
  // Report the deepest error: for unions TypeBox names the union first.
  const errors = [...check.Errors(value)];
  const deepest = errors.reduce((a, b) => (b.path.split('/').length > a.path.split('/').length ? b : a), errors[0]!);
  const inAction = /^\/actions\/(\d+)$/.exec(deepest.path);
  const precise = inAction ? actionError(value, Number(inAction[1])) : undefined;
  return precise ? { ok: false, ...precise } : { ok: false, field: deepest.path || '/', message: deepest.message, why: typeboxReason(deepest) };
}
