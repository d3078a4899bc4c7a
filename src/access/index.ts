// People and what they may do: local accounts, sessions, roles, permissions, first run.
export { Accounts, sha256 as sessionTokenHash, type AccountPolicy, type UserView, type SessionEnd, type AccountsEvents } from './accounts.ts';
export { Roles, keepingAnAdmin, type Principal as RoleHolder, type RoleView } from './roles.ts';
export { Authenticator, readCookie, type Principal, type Scheme, type RequestLike, type AuthenticatorDeps } from './authenticator.ts';
export { FirstRun, FIRST_RUN_FILE } from './first-run.ts';
export { OidcSignIn, OidcSignInError, oidcSettings, safeReturnPath, type OidcSettings, type OidcRefusal } from './oidc.ts';
export { SamlSignIn, SamlSignInError, samlSettings, pemCertificate, type SamlSettings, type SamlRefusal } from './saml.ts';
export { PERMISSIONS, SEEDED_ROLES, isPermission, type Permission } from './permissions.ts';
export { ScryptHasher, type PasswordHasher, type HasherLimits } from './password.ts';
export type { LoginLimits } from './login-guard.ts';
