// The permissions Portier knows and the roles seeded on an empty store.
// Roles are data: admins change them; code only ever asks for a permission.
export const PERMISSIONS = {
  'call.answer': 'Answer calls from terminals in the desk softphone',
  // A call's own participants open the calling terminal's door without it (see docs/security.md).
  'call.transfer': 'Hand a call in progress to another phone-book entry (blind transfer)',
  'door.unlock': 'Open any door of the site: through the API, and from any call on the site (reception)',
  'phonebook.write': 'Edit the phone book',
  'terminal.admin': 'Create, pair and revoke lobby terminals',
  'device.admin': 'Register, rotate and revoke MQTT devices',
  'rules.write': 'Edit automation rules',
  'audit.read': 'Read the audit log',
  'report.read': 'Read call-quality and SLA reports',
  'sla.admin': 'Mark planned maintenance and excuse downtime in the SLA report',
  'user.admin': 'Manage users and their role assignments',
  'role.admin': 'Manage roles and their permissions',
  'site.admin': 'Manage sites and doors',
  'token.admin': 'Create, rotate and revoke integration API tokens',
  'privacy.admin': 'Read the personal-data inventory; export and erase the data of one person',
} as const;

export type Permission = keyof typeof PERMISSIONS;

export const isPermission = (name: string): name is Permission => Object.hasOwn(PERMISSIONS, name);

export const SEEDED_ROLES: ReadonlyArray<{ id: string; name: string; description: string; permissions: Permission[] }> = [
  { id: 'host', name: 'host', description: 'Employee who receives visitors', permissions: ['call.answer'] },
  {
    id: 'reception',
    name: 'reception',
    description: 'Reception staff: fallback for every call',
    permissions: ['call.answer', 'call.transfer', 'door.unlock', 'phonebook.write', 'report.read'],
  },
  {
    id: 'admin',
    name: 'admin',
    description: 'Administrator of this deployment',
    permissions: Object.keys(PERMISSIONS) as Permission[],
  },
];
