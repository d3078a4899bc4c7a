// How long a password must and may be, in a leaf module with no imports: the admin
// API's schema and the admin page's form (src/http/routes/form-fields.ts) use the
// same numbers password.ts checks.

export const MIN_PASSWORD = 12;
export const MAX_PASSWORD = 256;
