import { RouteAccess, smartScopeExample, smartScopeGrants } from './access-matrix';
import { Principal, Role } from './principal';

/** off: the route answers 404; open: no credential needed; authenticated: a token with the route's roles. */
export type ExposureMode = 'off' | 'authenticated' | 'open';

export type AccessDecision =
  | { allowed: true; auditPatientData: boolean }
  | { allowed: false; status: 401 | 403 | 404; error: string; message: string; insufficientScope?: string };

const denied = (status: 401 | 403 | 404, error: string, message: string, insufficientScope?: string): AccessDecision => ({
  allowed: false,
  status,
  error,
  message,
  ...(insufficientScope ? { insufficientScope } : {}),
});

const ALLOWED = (auditPatientData = false): AccessDecision => ({ allowed: true, auditPatientData });

const NO_CREDENTIAL = denied(401, 'unauthorized', 'this route needs a bearer token from the identity provider (Authorization: Bearer <token>)');

function hasRole(principal: Principal, roles: readonly Role[]): boolean {
  return principal.kind !== 'api-key' && principal.roles.some((r) => roles.includes(r));
}

function roleMessage(principal: Principal, roles: readonly Role[]): string {
  const held = principal.kind === 'api-key' ? 'an API key, which holds no role' : principal.roles.length ? principal.roles.join(', ') : 'no slidecharge role';
  return `needs one of the roles ${roles.join(', ')}; the caller has ${held}`;
}

function signedIn(access: Extract<RouteAccess, { who: 'signed-in' }>, principal: Principal | undefined): AccessDecision {
  if (!principal) return NO_CREDENTIAL;
  if (!hasRole(principal, access.roles)) return denied(403, 'forbidden', roleMessage(principal, access.roles));
  if (access.smart && !smartScopeGrants(principal.scopes, access.smart)) {
    const scope = smartScopeExample(access.smart);
    return denied(403, 'insufficient_scope', `needs a token with the SMART scope ${scope} (or another that grants ${access.smart.resource} reads)`, scope);
  }
  return ALLOWED(access.patientData ?? false);
}

function scannerClient(access: Extract<RouteAccess, { who: 'scanner-client' }>, principal: Principal | undefined): AccessDecision {
  if (!principal) return denied(401, 'unauthorized', `this route needs an API key with scope ${access.keyScope} (X-API-Key)`);
  if (principal.kind === 'api-key') {
    return principal.scopes.includes(access.keyScope) ? ALLOWED() : denied(403, 'forbidden', `the API key does not have scope ${access.keyScope}`);
  }
  if (access.orRoles && hasRole(principal, access.orRoles)) return ALLOWED();
  const alternative = access.orRoles ? ` or one of the roles ${access.orRoles.join(', ')}` : '';
  return denied(403, 'forbidden', `needs an API key with scope ${access.keyScope}${alternative}`);
}

/**
 * Whether `principal` (undefined: no credential was sent) may call a route with `access`.
 * Pure: the access guard applies it, the unit tests and the docs read it.
 */
export function decideAccess(access: RouteAccess | undefined, principal: Principal | undefined, metrics: ExposureMode): AccessDecision {
  if (!access) return denied(403, 'forbidden', 'this route is not in the access matrix, so nobody may call it');
  switch (access.who) {
    case 'anyone':
      return ALLOWED();
    case 'signed-in':
      return signedIn(access, principal);
    case 'scanner-client':
      return scannerClient(access, principal);
    case 'metrics':
      if (metrics === 'off') return denied(404, 'not_found', 'metrics are off (HTTP_METRICS=off)');
      if (metrics === 'open') return ALLOWED();
      if (!principal) return NO_CREDENTIAL;
      return hasRole(principal, access.roles) ? ALLOWED() : denied(403, 'forbidden', roleMessage(principal, access.roles));
  }
}
