// Schemas shared by the admin API routes.
import { Type } from '@sinclair/typebox';

/** A refusal: `reason` (a key of the pages' catalogues) with `params` says why in words the pages translate. */
export const ErrorBody = Type.Object({
  error: Type.String(), reason: Type.Optional(Type.String()),
  params: Type.Optional(Type.Record(Type.String(), Type.Union([Type.String(), Type.Number()]))), message: Type.String(),
});
export const Id = Type.String({ minLength: 1, maxLength: 64 });
export const SiteParams = Type.Object({ siteId: Id });
export const IdParams = Type.Object({ id: Id });
