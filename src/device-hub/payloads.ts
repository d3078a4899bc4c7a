// JSON payload schemas of docs/devices.md, compiled once; every device message
// is parsed here, at the edge, before anything else looks at it.
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';

const At = Type.Optional(Type.Integer({ minimum: 0, description: 'device time, ms since epoch (informational)' }));

export const CardRead = Type.Object({
  card: Type.String({ minLength: 1, maxLength: 128 }),
  format: Type.Optional(Type.Union([Type.Literal('uid'), Type.Literal('qr'), Type.Literal('barcode'), Type.Literal('pin')])),
  at: At,
}, { additionalProperties: false });

export const DOOR_STATES = ['closed', 'open', 'held-open', 'forced'] as const;
export const DoorState = Type.Object({
  state: Type.Union(DOOR_STATES.map((s) => Type.Literal(s))),
  locked: Type.Optional(Type.Boolean()),
  at: At,
}, { additionalProperties: false });

export const SensorEvent = Type.Object({
  type: Type.Union([Type.Literal('motion'), Type.Literal('presence'), Type.Literal('button'), Type.Literal('tamper')]),
  value: Type.Optional(Type.Union([Type.Boolean(), Type.Number()])),
  at: At,
}, { additionalProperties: false });

export const CommandAck = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 64 }),
  result: Type.Union([Type.Literal('ok'), Type.Literal('refused')]),
  reason: Type.Optional(Type.String({ maxLength: 200 })),
}, { additionalProperties: false });

export const DeviceStatus = Type.Object({
  online: Type.Boolean(),
  firmware: Type.Optional(Type.String({ maxLength: 64 })),
}, { additionalProperties: false });

/** Sent by the gateway to `portier/<site>/doors/<door>/cmd`. */
export const DoorCommand = Type.Object({
  id: Type.String(),
  action: Type.Union([Type.Literal('unlock'), Type.Literal('lock')]),
  seconds: Type.Integer({ minimum: 0, maximum: 3600 }),
  expires_at: Type.Integer(),
});

export type CardReadPayload = Static<typeof CardRead>;
export type DoorStatePayload = Static<typeof DoorState>;
export type SensorEventPayload = Static<typeof SensorEvent>;
export type CommandAckPayload = Static<typeof CommandAck>;
export type DoorCommandPayload = Static<typeof DoorCommand>;

export type DeviceMessage =
  | { leaf: 'card'; payload: CardReadPayload }
  | { leaf: 'state'; payload: DoorStatePayload }
  | { leaf: 'event'; payload: SensorEventPayload }
  | { leaf: 'ack'; payload: CommandAckPayload }
  | { leaf: 'status'; payload: Static<typeof DeviceStatus> };

const checks: Record<DeviceMessage['leaf'], TypeCheck<TSchema>> = {
  card: TypeCompiler.Compile(CardRead),
  state: TypeCompiler.Compile(DoorState),
  event: TypeCompiler.Compile(SensorEvent),
  ack: TypeCompiler.Compile(CommandAck),
  status: TypeCompiler.Compile(DeviceStatus),
};

export const MAX_PAYLOAD_BYTES = 4096;

export type Parsed = { ok: true; message: DeviceMessage } | { ok: false; reason: string };

/**
 * The bytes as UTF-8 text, read in place (Buffer.from(bytes) would copy them
 * first); toString() without arguments is Node's UTF-8 fast path (no encoding lookup).
 */
const utf8 = (bytes: Buffer | Uint8Array): string =>
  (Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)).toString();

/** Parses a device payload for a leaf; never throws. */
export function parseDeviceMessage(leaf: string, payload: Buffer | Uint8Array | string): Parsed {
  const check = Object.hasOwn(checks, leaf) ? checks[leaf as DeviceMessage['leaf']] : undefined;
  if (!check) return { ok: false, reason: `unknown topic leaf ${leaf}` };
  if (payload.length > MAX_PAYLOAD_BYTES) return { ok: false, reason: `payload over ${MAX_PAYLOAD_BYTES} bytes` };
  let value: unknown;
  try {
    value = JSON.parse(typeof payload === 'string' ? payload : utf8(payload));
  } catch {
    return { ok: false, reason: 'payload is not JSON' };
  }
  if (!check.Check(value)) {
    const first = check.Errors(value).First();
    return { ok: false, reason: first ? `${first.path || '/'}: ${first.message}` : 'payload does not match its schema' };
  }
  return { ok: true, message: { leaf, payload: value } as DeviceMessage };
}
