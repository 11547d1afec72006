/** The slidecharge roles a person of the lab may hold (libs/service-kit's roles, without `service`). */
export const STAFF_ROLES = ['billing-reviewer', 'billing-admin', 'integration-admin', 'ops-viewer'] as const;
export type StaffRole = (typeof STAFF_ROLES)[number];

/** What the console lets a person do (the server checks again: this only hides buttons). */
export type ConsoleAction = 'release' | 'void' | 'dismiss-scan' | 'retry-delivery' | 'replay-dead-letter';

const WHO_MAY: Record<ConsoleAction, readonly StaffRole[]> = {
  release: ['billing-reviewer'],
  void: ['billing-reviewer'],
  'dismiss-scan': ['billing-reviewer'],
  'retry-delivery': ['billing-admin'],
  'replay-dead-letter': ['billing-admin', 'integration-admin'],
};

/** The payload of a JWT (no verification: the server verifies; the browser only reads claims to shape the page). */
export function tokenClaims(token: string): Record<string, unknown> {
  const payload = token.split('.')[1];
  if (!payload) return {};
  try {
    const base64 = payload.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(payload.length / 4) * 4, '=');
    const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    const value: unknown = JSON.parse(new TextDecoder().decode(bytes));
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function claimAt(payload: Record<string, unknown>, path: string): unknown {
  let value: unknown = payload;
  for (const part of path.split('.')) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

function isStaffRole(value: unknown): value is StaffRole {
  return typeof value === 'string' && (STAFF_ROLES as readonly string[]).includes(value);
}

/**
 * The staff roles of an access token's claims. The realm puts them in `roles` (tools/keycloak/realm.mjs,
 * OIDC_ROLES_CLAIM); Keycloak's default `realm_access.roles` is read too, for a hospital IdP set up that way.
 */
export function staffRoles(claims: Record<string, unknown>): StaffRole[] {
  const found = ['roles', 'realm_access.roles'].flatMap((path) => {
    const value = claimAt(claims, path);
    if (typeof value === 'string') return value.split(/[\s,]+/);
    return Array.isArray(value) ? value : [];
  });
  return STAFF_ROLES.filter((role) => found.some((v) => v === role && isStaffRole(v)));
}

/** Whether a person with these roles may do the action. */
export function may(roles: readonly StaffRole[], action: ConsoleAction): boolean {
  return WHO_MAY[action].some((role) => roles.includes(role));
}

/** Who may do an action, for the "you may not" text. */
export function rolesThatMay(action: ConsoleAction): readonly StaffRole[] {
  return WHO_MAY[action];
}
