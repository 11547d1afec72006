import fc from 'fast-check';
import { createHash } from 'node:crypto';
import {
  authenticate,
  credentialFrom,
  formatApiKey,
  generateApiKey,
  hashSecret,
  parseApiKey,
  secretMatches,
  StoredApiClient,
  tokensMatch,
} from './api-key';

const idArb = fc.stringMatching(/^[a-z0-9]{6,32}$/);
const secretArb = fc.stringMatching(/^[A-Za-z0-9_-]{32,100}$/);

describe('API key format', () => {
  it('makes keys sck_<12 hex>_<43 base64url> from 6 + 32 random bytes', () => {
    const bytes = [Buffer.alloc(6, 0xab), Buffer.alloc(32, 0xff)];
    const key = generateApiKey(() => bytes.shift() as Buffer);
    expect(key.id).toBe('abababababab');
    expect(key.secret).toBe('_'.repeat(42) + '8');
    expect(key.key).toBe(`sck_abababababab_${key.secret}`);
    expect(parseApiKey(key.key)).toEqual({ id: key.id, secret: key.secret });
  });

  it('parses every key it formats, underscores in the secret included (fast-check)', () => {
    fc.assert(fc.property(idArb, secretArb, (id, secret) => expect(parseApiKey(formatApiKey(id, secret))).toEqual({ id, secret })));
    fc.assert(fc.property(fc.constant(null), () => {
      const key = generateApiKey();
      expect(parseApiKey(key.key)).toEqual({ id: key.id, secret: key.secret });
    }), { numRuns: 50 });
  });

  it('refuses what is not a key, and never throws (fast-check)', () => {
    for (const text of ['', 'sck_', 'sck_abc_x', 'sck_ABCDEF_' + 'a'.repeat(40), 'sk_abcdef_' + 'a'.repeat(40), 'sck_abcdef_' + 'a'.repeat(31), `sck_abcdef_${'a'.repeat(40)} `]) {
      expect(parseApiKey(text)).toBeUndefined();
    }
    fc.assert(
      fc.property(fc.string(), (text) => {
        const parsed = parseApiKey(text);
        if (parsed) expect(formatApiKey(parsed.id, parsed.secret)).toBe(text);
        else expect(text.startsWith('sck_') && /^sck_[a-z0-9]{6,32}_[A-Za-z0-9_-]{32,256}$/.test(text)).toBe(false);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('secret hashing', () => {
  it('stores the hex SHA-256 of the secret and checks it in constant time', () => {
    expect(hashSecret('s3cret')).toBe(createHash('sha256').update('s3cret').digest('hex'));
    expect(secretMatches('s3cret', hashSecret('s3cret'))).toBe(true);
    expect(secretMatches('s3cret!', hashSecret('s3cret'))).toBe(false);
    expect(secretMatches('s3cret', 'not-hex')).toBe(false);
  });

  it('compares admin tokens of any length without throwing', () => {
    expect(tokensMatch('a'.repeat(40), 'a'.repeat(40))).toBe(true);
    expect(tokensMatch('a', 'a'.repeat(40))).toBe(false);
    fc.assert(fc.property(fc.string(), fc.string(), (a, b) => expect(tokensMatch(a, b)).toBe(a === b)));
  });
});

describe('credentialFrom', () => {
  it('reads X-API-Key or Authorization: Bearer (any case), and the same key in both', () => {
    expect(credentialFrom({ 'x-api-key': ' k1 ' })).toEqual({ kind: 'token', token: 'k1' });
    expect(credentialFrom({ authorization: 'Bearer k2' })).toEqual({ kind: 'token', token: 'k2' });
    expect(credentialFrom({ authorization: 'bearer   k2' })).toEqual({ kind: 'token', token: 'k2' });
    expect(credentialFrom({ authorization: 'Bearer k3', 'x-api-key': 'k3' })).toEqual({ kind: 'token', token: 'k3' });
    expect(credentialFrom({})).toEqual({ kind: 'none' });
    expect(credentialFrom({ 'x-api-key': '' })).toEqual({ kind: 'none' });
  });

  it('refuses another scheme and two different keys, saying why', () => {
    expect(credentialFrom({ authorization: 'Basic dXNlcjpwYXNz' })).toEqual({
      kind: 'bad-header',
      reason: 'the Authorization header must be "Bearer <API key>", not the "Basic" scheme',
    });
    expect(credentialFrom({ authorization: 'Bearer a', 'x-api-key': 'b' })).toEqual({
      kind: 'bad-header',
      reason: 'the Authorization and X-API-Key headers carry different keys; send one of them',
    });
  });
});

describe('authenticate', () => {
  const key = generateApiKey();
  const client: StoredApiClient = { id: key.id, name: 'GT450 middleware', secretHash: hashSecret(key.secret), scopes: ['scan-events:write', 'scan-events:read'], revokedAt: null };
  const token = (t: string) => ({ kind: 'token' as const, token: t });
  const adminToken = 'admin-token-that-is-long-enough-0123456789';

  it('lets a valid key with the scope through, naming the client', () => {
    expect(authenticate({ credential: token(key.key), required: 'scan-events:write', client })).toEqual({
      ok: true,
      principal: { kind: 'api-key', clientId: key.id, name: 'GT450 middleware', scopes: ['scan-events:write', 'scan-events:read'] },
    });
  });

  it('answers 401 missing_api_key without a key, telling how to send one', () => {
    const outcome = authenticate({ credential: { kind: 'none' }, required: 'dicom:write', client: null });
    expect(outcome).toEqual({
      ok: false,
      failure: {
        status: 401,
        error: 'missing_api_key',
        message: 'this endpoint needs an API key with scope dicom:write: send it as "X-API-Key: sck_<id>_<secret>" or "Authorization: Bearer sck_<id>_<secret>"',
      },
    });
  });

  it('answers the same 401 invalid_api_key for an unknown id and a wrong secret', () => {
    const wrongSecret = authenticate({ credential: token(formatApiKey(key.id, 'x'.repeat(43))), required: 'scan-events:write', client });
    const unknown = authenticate({ credential: token(formatApiKey('000000000000', key.secret)), required: 'scan-events:write', client: null });
    expect(wrongSecret).toEqual(unknown);
    expect(unknown).toMatchObject({ ok: false, failure: { status: 401, error: 'invalid_api_key' } });
    expect(authenticate({ credential: token('not-a-key'), required: 'scan-events:write', client: null })).toMatchObject({
      failure: { status: 401, error: 'invalid_api_key', message: expect.stringContaining('keys look like sck_<id>_<secret>') },
    });
  });

  it('answers 401 api_key_revoked for a revoked key whose secret matches', () => {
    const revoked = { ...client, revokedAt: new Date('2026-11-27T10:00:00Z') };
    expect(authenticate({ credential: token(key.key), required: 'scan-events:write', client: revoked })).toEqual({
      ok: false,
      failure: { status: 401, error: 'api_key_revoked', message: `API key ${key.id} (GT450 middleware) was revoked at 2026-11-27T10:00:00.000Z; ask the administrator for a new key` },
    });
  });

  it('answers 403 insufficient_scope naming the scope needed and the scopes held', () => {
    expect(authenticate({ credential: token(key.key), required: 'dicom:write', client })).toEqual({
      ok: false,
      failure: {
        status: 403,
        error: 'insufficient_scope',
        message: `API key ${key.id} (GT450 middleware) does not have scope dicom:write (needed for POST /dicom/instances); it has: scan-events:write, scan-events:read`,
      },
    });
  });

  it('accepts the bootstrap admin token for key administration only', () => {
    expect(authenticate({ credential: token(adminToken), required: 'keys:admin', client: null, adminToken })).toEqual({
      ok: true,
      principal: { kind: 'admin-token', clientId: 'bootstrap-admin', name: 'bootstrap admin token', scopes: ['keys:admin'] },
    });
    expect(authenticate({ credential: token(adminToken), required: 'scan-events:write', client: null, adminToken })).toMatchObject({
      ok: false,
      failure: { status: 403, error: 'insufficient_scope', message: expect.stringContaining('only manages API keys') },
    });
    expect(authenticate({ credential: token(`${adminToken}x`), required: 'keys:admin', client: null, adminToken })).toMatchObject({ failure: { status: 401 } });
    expect(authenticate({ credential: token(adminToken), required: 'keys:admin', client: null })).toMatchObject({ failure: { status: 401 } });
  });

  it('ignores unknown scopes stored on a client', () => {
    const odd = { ...client, scopes: ['scan-events:write', 'everything'] };
    expect(authenticate({ credential: token(key.key), required: 'scan-events:write', client: odd })).toMatchObject({ ok: true, principal: { scopes: ['scan-events:write'] } });
  });
});
