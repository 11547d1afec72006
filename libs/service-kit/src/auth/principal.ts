/**
 * Who is calling: a person or a machine signed in with the hospital's identity provider (OpenID
 * Connect access token), or a scanner-middleware client with an API key. Built once per request by
 * the authentication middleware; the access guard decides with it; audit trails record it.
 */

/** The roles slidecharge knows. The identity provider puts them into a claim (OIDC_ROLES_CLAIM). */
export const ROLES = ['billing-reviewer', 'billing-admin', 'integration-admin', 'ops-viewer', 'service'] as const;
export type Role = (typeof ROLES)[number];

export const ROLE_MEANINGS: Record<Role, string> = {
  'billing-reviewer': 'works the review queue: releases and voids held charges',
  'billing-admin': 'manages payer policy sets and retries DFT deliveries',
  'integration-admin': 'manages scanner API keys and reads the HL7 message log',
  'ops-viewer': 'reads every view and dashboard, changes nothing',
  service: 'a machine client (LIS integration engine, billing system, monitoring)',
};

export interface Principal {
  /** person: a user's token; machine: a client-credentials token; api-key: a scanner-middleware key. */
  kind: 'person' | 'machine' | 'api-key';
  /** Stable id: the token's `sub`, or `api-key:<id>`. Never a name someone typed. */
  subject: string;
  /** What people reading an audit trail recognise: user name, client id or API key name. */
  displayName: string;
  /** The OAuth client the token was issued to (azp / client_id), when there is one. */
  clientId?: string;
  /** The slidecharge roles of the caller (other roles in the claim are ignored). */
  roles: Role[];
  /** Token scopes (space-separated `scope` claim), or the API key's scopes. */
  scopes: string[];
}

/** The one string every audit trail stores for a caller: name and stable subject, e.g. `reviewer (sub 9829…)`. */
export function actorLabel(principal: Principal): string {
  return `${principal.displayName} (${principal.kind === 'api-key' ? principal.subject : `sub ${principal.subject}`})`;
}

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}
