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

/** What a key may do. Key administration is not a key scope: people with role integration-admin do it. */
export const SCOPES = ['scan-events:write', 'scan-events:read', 'dicom:write'] as const;
export const Scope = z.enum(SCOPES);
export type Scope = z.infer<typeof Scope>;

/** What each scope allows, for the API documentation and error messages. */
export const SCOPE_MEANINGS: Readonly<Record<Scope, string>> = {
  'scan-events:write': 'POST /scan-events and POST /scan-events/batch',
  'scan-events:read': 'GET /scan-events/{eventId} and GET /slides/{barcode}/scans',
  'dicom:write': 'POST /dicom/instances',
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
 * is behind GitHub's and Stripe's token storage. The one key that is not made here, SCANNER_DEV_API_KEY,
 * is accepted only with SLIDECHARGE_ENV=development.
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

/** A stored API client, as the check needs it. */
export interface StoredApiClient {
  id: string;
  name: string;
  secretHash: string;
  scopes: readonly string[];
  revokedAt: Date | null;
}

/** An accepted key: the client and the scopes it holds (unknown or retired scopes dropped). */
export interface AcceptedApiKey {
  clientId: string;
  name: string;
  scopes: Scope[];
}

export type ApiKeyCheck = { ok: true; key: AcceptedApiKey } | { ok: false; reason: 'malformed' | 'unknown-or-wrong' | 'revoked' };

/**
 * Checks a presented key against the stored client its id names (looked up by the caller). Unknown id
 * and wrong secret are the same failure, so nothing tells which ids exist; revoked is told apart only
 * after the secret matched (for the log; the caller answers all three alike).
 */
export function checkApiKey(presented: string, client: StoredApiClient | null | undefined): ApiKeyCheck {
  const parsed = parseApiKey(presented);
  if (!parsed) return { ok: false, reason: 'malformed' };
  if (!client || client.id !== parsed.id || !secretMatches(parsed.secret, client.secretHash)) return { ok: false, reason: 'unknown-or-wrong' };
  if (client.revokedAt) return { ok: false, reason: 'revoked' };
  const scopes = client.scopes.filter((s): s is Scope => (SCOPES as readonly string[]).includes(s));
  return { ok: true, key: { clientId: client.id, name: client.name, scopes } };
}
