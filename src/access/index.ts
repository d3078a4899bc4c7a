// People and what they may do: local accounts, sessions, roles, permissions, first run.
export { Accounts, type AccountPolicy, type UserView } from './accounts.ts';
export { Roles, type Principal, type RoleView } from './roles.ts';
export { FirstRun, FIRST_RUN_FILE } from './first-run.ts';
export { PERMISSIONS, SEEDED_ROLES, isPermission, type Permission } from './permissions.ts';
export { ScryptHasher, type PasswordHasher, type HasherLimits } from './password.ts';
export type { LoginLimits } from './login-guard.ts';
