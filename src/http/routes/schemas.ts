// Schemas shared by the admin API routes.
import { Type } from '@sinclair/typebox';

export const ErrorBody = Type.Object({ error: Type.String(), message: Type.String() });
export const Id = Type.String({ minLength: 1, maxLength: 64 });
export const SiteParams = Type.Object({ siteId: Id });
export const IdParams = Type.Object({ id: Id });
