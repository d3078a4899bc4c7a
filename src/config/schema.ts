// The configuration schema: one source for validation, defaults and the TypeScript type.
import { Type, type Static } from '@sinclair/typebox';

const Port = Type.Integer({ minimum: 0, maximum: 65535 });
const NonEmpty = Type.String({ minLength: 1 });

export const ConfigSchema = Type.Object(
  {
    data_dir: NonEmpty,
    store: Type.Object({ path: Type.String() }, { additionalProperties: false }),
    http: Type.Object({ host: NonEmpty, port: Port }, { additionalProperties: false }),
    https: Type.Object(
      {
        host: NonEmpty,
        port: Port,
        host_names: Type.Array(NonEmpty),
        cert: Type.String(),
        key: Type.String(),
        renew_before_days: Type.Integer({ minimum: 1, maximum: 365 }),
      },
      { additionalProperties: false },
    ),
    mqtt: Type.Object(
      {
        tcp: Type.Object({ port: Port }, { additionalProperties: false }),
        tls: Type.Object({ port: Port }, { additionalProperties: false }),
      },
      { additionalProperties: false },
    ),
    rtc: Type.Object(
      {
        workers: Type.Integer({ minimum: 0, maximum: 64 }),
        base_port: Port,
        listen: Type.Array(
          Type.Object(
            { ip: NonEmpty, announced_address: Type.String() },
            { additionalProperties: false },
          ),
          { minItems: 1 },
        ),
        min_port: Type.Integer({ minimum: 1024, maximum: 65535 }),
        max_port: Type.Integer({ minimum: 1024, maximum: 65535 }),
      },
      { additionalProperties: false },
    ),
    auth: Type.Object(
      {
        max_failed_logins: Type.Integer({ minimum: 1, maximum: 100 }),
        lockout_minutes: Type.Integer({ minimum: 1, maximum: 1440 }),
        session_idle_hours: Type.Number({ exclusiveMinimum: 0, maximum: 720 }),
        first_run_link_hours: Type.Number({ exclusiveMinimum: 0, maximum: 168 }),
      },
      { additionalProperties: false },
    ),
    lifecycle: Type.Object(
      { drain_seconds: Type.Number({ minimum: 0, maximum: 3600 }) },
      { additionalProperties: false },
    ),
    log: Type.Object(
      {
        level: Type.Union(
          ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
        ),
        pseudonymise: Type.Boolean(),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

export type Config = Static<typeof ConfigSchema>;
