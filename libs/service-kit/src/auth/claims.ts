import { isRole, Principal } from './principal';

/** Where the claims the services read sit in an access token (from the OIDC_* variables). */
export interface ClaimNames {
  /** Dot path of the roles claim, e.g. `roles` or Keycloak's `realm_access.roles`. */
  roles: string;
  /** Claim with the user name of a person, e.g. `preferred_username`. */
  username: string;
}

/** Reads a dot path such as `realm_access.roles` from a token payload. */
export function claimAt(payload: Record<string, unknown>, path: string): unknown {
  let value: unknown = payload;
  for (const part of path.split('.')) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

function stringList(value: unknown): string[] {
  if (typeof value === 'string') return value.split(/[\s,]+/).filter(Boolean);
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  return [];
}

/**
 * The principal of a verified access token. A token whose user name claim names a person is a
 * person's; a client-credentials token (no user name, or Keycloak's `service-account-*`) is a machine's.
 * Returns undefined when the token has no subject.
 */
export function principalFromClaims(payload: Record<string, unknown>, names: ClaimNames): Principal | undefined {
  const subject = payload['sub'];
  if (typeof subject !== 'string' || subject.length === 0) return undefined;
  const clientId = [payload['azp'], payload['client_id']].find((v): v is string => typeof v === 'string' && v.length > 0);
  const username = claimAt(payload, names.username);
  const person = typeof username === 'string' && username.length > 0 && !username.startsWith('service-account-');
  return {
    kind: person ? 'person' : 'machine',
    subject,
    displayName: person ? username : (clientId ?? subject),
    ...(clientId ? { clientId } : {}),
    roles: [...new Set(stringList(claimAt(payload, names.roles)).filter(isRole))],
    scopes: stringList(payload['scope'] ?? payload['scp']),
  };
}
