/** The credential a request carries, read from its headers before anything else of it is read. */
export type Credential =
  | { kind: 'none' }
  | { kind: 'bearer'; token: string }
  | { kind: 'api-key'; key: string }
  | { kind: 'malformed'; reason: string };

type Headers = Record<string, string | string[] | undefined>;

/** RFC 6750 b64token: what a bearer token may consist of. */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;
/** Longest credential read; anything longer is refused unread (a JWT with many roles is a few kB). */
const MAX_CREDENTIAL_LENGTH = 16 * 1024;

function single(headers: Headers, name: string): string | undefined | { repeated: true } {
  const value = headers[name];
  if (Array.isArray(value)) return value.length === 1 ? value[0] : { repeated: true };
  return value;
}

/**
 * `Authorization: Bearer <token>` or `X-API-Key: <key>` (one of them, once). `looksLikeApiKey` tells
 * an API key sent as a bearer token (scanner middleware may only be able to send Authorization) from a JWT.
 */
export function credentialOf(headers: Headers, looksLikeApiKey: (value: string) => boolean): Credential {
  const authorization = single(headers, 'authorization');
  const apiKey = single(headers, 'x-api-key');
  if (typeof authorization === 'object' || typeof apiKey === 'object') return { kind: 'malformed', reason: 'the credential header is repeated' };
  if (authorization !== undefined && apiKey !== undefined) return { kind: 'malformed', reason: 'send one credential: Authorization or X-API-Key, not both' };
  if (apiKey !== undefined) {
    const key = apiKey.trim();
    if (!key || key.length > MAX_CREDENTIAL_LENGTH) return { kind: 'malformed', reason: 'the X-API-Key header is empty or too long' };
    return { kind: 'api-key', key };
  }
  if (authorization === undefined) return { kind: 'none' };
  const match = /^Bearer +(\S+) *$/i.exec(authorization);
  if (!match) return { kind: 'malformed', reason: 'the Authorization header must be "Bearer <token>"' };
  const token = match[1] as string;
  if (token.length > MAX_CREDENTIAL_LENGTH || !B64TOKEN.test(token)) return { kind: 'malformed', reason: 'the bearer token is not a token' };
  return looksLikeApiKey(token) ? { kind: 'api-key', key: token } : { kind: 'bearer', token };
}
