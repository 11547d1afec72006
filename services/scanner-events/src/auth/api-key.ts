import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

/**
 * API keys of the HTTP ingestion API: format, generation, hashing and checking. Pure functions (the
 * random source is a parameter where it matters), so every rule here has a unit test.
 *
 * A key is `sck_<id>_<secret>`:
 *   - `sck_` says what it is (a scanner-events key), so a leaked key is recognisable in logs and by
 *     secret scanners;
 *   - `<id>` (12 lowercase hex characters, public) is the primary key of the api_client row, so a key is
 *     found with one indexed lookup instead of comparing it with every stored hash; it is shown in key
 *     lists and logs;
 *   - `<secret>` (32 random bytes, base64url, 43 characters) is never stored: the row keeps its SHA-256.
 */

export const API_KEY_PREFIX = 'sck';

export const SCOPES = ['scan-events:write', 'scan-events:read', 'dicom:write', 'keys:admin'] as const;
export const Scope = z.enum(SCOPES);
export type Scope = z.infer<typeof Scope>;

/** What each scope allows, for the API documentation and error messages. */
export const SCOPE_MEANINGS: Readonly<Record<Scope, string>> = {
  'scan-events:write': 'POST /scan-events and POST /scan-events/batch',
  'scan-events:read': 'GET /scan-events/{eventId} and GET /slides/{barcode}/scans',
  'dicom:write': 'POST /dicom/instances',
  'keys:admin': 'create, list and revoke API keys (/api-keys)',
};

/** The public id: what the api_client primary key holds. */
export const ApiKeyId = z.string().regex(/^[a-z0-9]{6,32}$/, '6-32 lowercase letters and digits');

const KEY_PATTERN = /^sck_([a-z0-9]{6,32})_([A-Za-z0-9_-]{32,256})$/;

export interface ParsedApiKey {
  id: string;
  secret: string;
}

/**
 * Splits a presented key into its id and secret; undefined when it is not of the form
 * sck_<id>_<secret>. The id has no underscore, so the first underscore after it ends it (the base64url
 * secret may itself contain underscores).
 */
export function parseApiKey(text: string): ParsedApiKey | undefined {
  const match = KEY_PATTERN.exec(text);
  if (!match) return undefined;
  return { id: match[1] as string, secret: match[2] as string };
}

export function formatApiKey(id: string, secret: string): string {
  return `${API_KEY_PREFIX}_${id}_${secret}`;
}

/**
 * A new key from the given random source (node:crypto's randomBytes in the service): 6 bytes of id
 * (48 bits, enough to make collisions on the primary key rare; the insert retries on one) and 32 bytes
 * (256 bits) of secret.
 */
export function generateApiKey(random: (size: number) => Buffer = randomBytes): ParsedApiKey & { key: string } {
  const id = random(6).toString('hex');
  const secret = random(32).toString('base64url');
  return { id, secret, key: formatApiKey(id, secret) };
}

/**
 * The stored form of a secret: hex SHA-256, no salt, no slow hash. That is deliberate. Slow, salted
 * hashes (scrypt, bcrypt, argon2) exist to make guessing a low-entropy, human-chosen password from a
 * stolen hash expensive. These secrets are 256 random bits from the operating system's CSPRNG: there
 * is nothing to guess and no dictionary or rainbow table to precompute, so one SHA-256 is as strong
 * as scrypt here while costing microseconds instead of tens of milliseconds of CPU on every request
 * (which would also hand an unauthenticated caller a cheap way to burn our CPU). The same reasoning
 * is behind GitHub's and Stripe's token storage. The one key that is not random, SCANNER_DEV_API_KEY,
 * is a development convenience and documented as such.
 */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/**
 * Constant-time check of a presented secret against a stored hash: both sides are compared as 32-byte
 * digests with timingSafeEqual, so the time taken says nothing about how much of the secret matched.
 */
export function secretMatches(secret: string, storedHashHex: string): boolean {
  const stored = Buffer.from(storedHashHex, 'hex');
  const presented = createHash('sha256').update(secret, 'utf8').digest();
  return stored.length === presented.length && timingSafeEqual(stored, presented);
}

/**
 * Constant-time comparison of two tokens of any length (the bootstrap admin token): hashing both
 * first gives equal-length buffers, so neither the content nor the length leaks through timing.
 */
export function tokensMatch(presented: string, expected: string): boolean {
  const a = createHash('sha256').update(presented, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}

export type Credential = { kind: 'none' } | { kind: 'token'; token: string } | { kind: 'bad-header'; reason: string };

type Headers = Record<string, string | string[] | undefined>;

const single = (value: string | string[] | undefined): string | undefined => (Array.isArray(value) ? value[0] : value);

/**
 * The credential a request presents: `Authorization: Bearer <key>` or `X-API-Key: <key>`. Both may be
 * sent only when they carry the same key; another Authorization scheme (Basic...) is refused by name.
 */
export function credentialFrom(headers: Headers): Credential {
  const authorization = single(headers['authorization'])?.trim();
  const apiKeyHeader = single(headers['x-api-key'])?.trim();
  let bearer: string | undefined;
  if (authorization) {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization);
    if (!match) {
      const scheme = authorization.split(/\s+/)[0] ?? '';
      return { kind: 'bad-header', reason: `the Authorization header must be "Bearer <API key>", not the ${JSON.stringify(scheme)} scheme` };
    }
    bearer = match[1];
  }
  if (bearer && apiKeyHeader && bearer !== apiKeyHeader) {
    return { kind: 'bad-header', reason: 'the Authorization and X-API-Key headers carry different keys; send one of them' };
  }
  const token = bearer ?? apiKeyHeader;
  return token ? { kind: 'token', token } : { kind: 'none' };
}

/** A stored API client, as the check needs it. */
export interface StoredApiClient {
  id: string;
  name: string;
  secretHash: string;
  scopes: readonly string[];
  revokedAt: Date | null;
}

/** Who a request is, once authenticated. */
export interface Principal {
  kind: 'api-key' | 'admin-token';
  /** api_client.id, or "bootstrap-admin" for the SCANNER_ADMIN_TOKEN. Idempotency keys are scoped by it. */
  clientId: string;
  name: string;
  scopes: readonly Scope[];
}

export const BOOTSTRAP_ADMIN_ID = 'bootstrap-admin';

export type AuthFailure = {
  status: 401 | 403;
  error: 'missing_api_key' | 'invalid_api_key' | 'api_key_revoked' | 'insufficient_scope';
  message: string;
};

export type AuthOutcome = { ok: true; principal: Principal } | { ok: false; failure: AuthFailure };

const HOW_TO_SEND = 'send it as "X-API-Key: sck_<id>_<secret>" or "Authorization: Bearer sck_<id>_<secret>"';

/**
 * Decides a request from the presented credential, the stored client its key names (looked up by the
 * caller) and the scope the route needs. Unknown id and wrong secret get the same answer, so the API
 * does not tell which ids exist; a revoked key is named as revoked only after its secret matched.
 */
export function authenticate(input: {
  credential: Credential;
  required: Scope;
  client: StoredApiClient | null | undefined;
  adminToken?: string | undefined;
}): AuthOutcome {
  const { credential, required, client, adminToken } = input;
  const fail = (status: 401 | 403, error: AuthFailure['error'], message: string): AuthOutcome => ({ ok: false, failure: { status, error, message } });
  if (credential.kind === 'none') return fail(401, 'missing_api_key', `this endpoint needs an API key with scope ${required}: ${HOW_TO_SEND}`);
  if (credential.kind === 'bad-header') return fail(401, 'invalid_api_key', credential.reason);

  const parsed = parseApiKey(credential.token);
  if (!parsed) {
    if (adminToken !== undefined && tokensMatch(credential.token, adminToken)) {
      if (required !== 'keys:admin') {
        return fail(403, 'insufficient_scope', `the admin token (SCANNER_ADMIN_TOKEN) only manages API keys; make an API key with scope ${required} for this`);
      }
      return { ok: true, principal: { kind: 'admin-token', clientId: BOOTSTRAP_ADMIN_ID, name: 'bootstrap admin token', scopes: ['keys:admin'] } };
    }
    return fail(401, 'invalid_api_key', `the API key is not valid: keys look like sck_<id>_<secret>; ${HOW_TO_SEND}`);
  }
  if (!client || client.id !== parsed.id || !secretMatches(parsed.secret, client.secretHash)) {
    return fail(401, 'invalid_api_key', 'the API key is not valid (unknown key or wrong secret)');
  }
  if (client.revokedAt) {
    return fail(401, 'api_key_revoked', `API key ${client.id} (${client.name}) was revoked at ${client.revokedAt.toISOString()}; ask the administrator for a new key`);
  }
  const scopes = client.scopes.filter((s): s is Scope => (SCOPES as readonly string[]).includes(s));
  if (!scopes.includes(required)) {
    return fail(
      403,
      'insufficient_scope',
      `API key ${client.id} (${client.name}) does not have scope ${required} (needed for ${SCOPE_MEANINGS[required]}); it has: ${scopes.join(', ') || 'none'}`,
    );
  }
  return { ok: true, principal: { kind: 'api-key', clientId: client.id, name: client.name, scopes } };
}
