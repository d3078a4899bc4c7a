// Value types the configuration schema's sections share (schema.ts, sip-schema.ts).
import { Type } from '@sinclair/typebox';

export const Port = Type.Integer({ minimum: 0, maximum: 65535 });
export const NonEmpty = Type.String({ minLength: 1 });
