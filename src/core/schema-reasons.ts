// Schema refusals as reasons the pages translate: ajv's errors (fastify routes)
// and TypeBox's (socket.io events, rules) become one key per JSON Schema keyword,
// `schema.<keyword>`, with the field and the limit as parameters.
import { ValueErrorType, type ValueError } from '@sinclair/typebox/errors';
import type { ErrorParams, Reason } from './errors.ts';

/** The keywords the pages have texts for; any other is `schema` (a field is invalid). */
export const SCHEMA_KEYWORDS: ReadonlySet<string> = new Set([
  'required', 'additionalProperties', 'type', 'pattern', 'format', 'minLength', 'maxLength',
  'minimum', 'maximum', 'enum', 'minItems', 'maxItems',
]);

/** A JSON pointer as a field name: `/routes/0/userId` → `routes.0.userId`. */
const fieldOf = (pointer: string): string => pointer.replace(/^\//, '').replaceAll('/', '.');
const under = (parent: string, child: string): string => (parent ? `${parent}.${child}` : child);

/** What fastify hands its error handler for a request its schema refused. */
export interface AjvError { keyword: string; instancePath: string; params: Record<string, unknown> }

const reason = (keyword: string, params: ErrorParams): Reason =>
  (SCHEMA_KEYWORDS.has(keyword) ? { reason: `schema.${keyword}`, params } : { reason: 'schema', params: { field: params.field ?? '' } });

export function ajvReason(error: AjvError): Reason {
  const field = fieldOf(error.instancePath);
  const p = error.params;
  switch (error.keyword) {
    case 'required': return reason('required', { field: under(field, String(p.missingProperty)) });
    case 'additionalProperties': return reason('additionalProperties', { field: under(field, String(p.additionalProperty)) });
    case 'type': return reason('type', { field, type: String(p.type) });
    case 'pattern': return reason('pattern', { field, pattern: String(p.pattern) });
    case 'format': return reason('format', { field, format: String(p.format) });
    case 'minLength': case 'maxLength': case 'minItems': case 'maxItems': return reason(error.keyword, { field, limit: Number(p.limit) });
    case 'minimum': case 'maximum': return reason(error.keyword, { field, limit: Number(p.limit) });
    case 'enum': return reason('enum', { field, allowed: (p.allowedValues as unknown[] | undefined)?.map(String).join(', ') ?? '' });
    default: return reason(error.keyword, { field });
  }
}

const TYPES: Partial<Record<ValueErrorType, string>> = {
  [ValueErrorType.String]: 'string', [ValueErrorType.Number]: 'number', [ValueErrorType.Integer]: 'integer',
  [ValueErrorType.Boolean]: 'boolean', [ValueErrorType.Object]: 'object', [ValueErrorType.Array]: 'array', [ValueErrorType.Null]: 'null',
};

export function typeboxReason(error: Pick<ValueError, 'type' | 'path' | 'schema'>): Reason {
  const field = fieldOf(error.path);
  const s = error.schema as Record<string, unknown>;
  const type = TYPES[error.type];
  if (type) return reason('type', { field, type });
  switch (error.type) {
    case ValueErrorType.ObjectRequiredProperty: return reason('required', { field });
    case ValueErrorType.ObjectAdditionalProperties: return reason('additionalProperties', { field });
    case ValueErrorType.StringPattern: return reason('pattern', { field, pattern: String(s.pattern) });
    case ValueErrorType.StringFormat: return reason('format', { field, format: String(s.format) });
    case ValueErrorType.StringMinLength: return reason('minLength', { field, limit: Number(s.minLength) });
    case ValueErrorType.StringMaxLength: return reason('maxLength', { field, limit: Number(s.maxLength) });
    case ValueErrorType.ArrayMinItems: return reason('minItems', { field, limit: Number(s.minItems) });
    case ValueErrorType.ArrayMaxItems: return reason('maxItems', { field, limit: Number(s.maxItems) });
    case ValueErrorType.NumberMinimum: case ValueErrorType.IntegerMinimum: return reason('minimum', { field, limit: Number(s.minimum) });
    case ValueErrorType.NumberMaximum: case ValueErrorType.IntegerMaximum: return reason('maximum', { field, limit: Number(s.maximum) });
    case ValueErrorType.Literal: return reason('enum', { field, allowed: String(s.const) });
    case ValueErrorType.Union: {
      // A union of literals is an enum: name its values.
      const values = (s.anyOf as Array<{ const?: unknown }> | undefined)?.map((v) => v.const);
      return values?.every((v) => v !== undefined) ? reason('enum', { field, allowed: values.map(String).join(', ') }) : reason('other', { field });
    }
    default: return reason('other', { field });
  }
}
