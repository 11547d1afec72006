import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { checkApiKey, formatApiKey, generateApiKey, hashSecret, parseApiKey, secretMatches, StoredApiClient } from './api-key';
import { apiKeyPrincipal } from './api-key.authenticator';

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

});

describe('checkApiKey', () => {
  const key = generateApiKey();
  const client: StoredApiClient = { id: key.id, name: 'GT450 middleware', secretHash: hashSecret(key.secret), scopes: ['scan-events:write', 'scan-events:read'], revokedAt: null };

  it('accepts a valid key, naming the client and its scopes', () => {
    expect(checkApiKey(key.key, client)).toEqual({ ok: true, key: { clientId: key.id, name: 'GT450 middleware', scopes: ['scan-events:write', 'scan-events:read'] } });
  });

  it('gives the same failure for an unknown id and a wrong secret, and tells malformed keys apart', () => {
    const wrongSecret = checkApiKey(formatApiKey(key.id, 'x'.repeat(43)), client);
    const unknown = checkApiKey(formatApiKey('000000000000', key.secret), null);
    expect(wrongSecret).toEqual({ ok: false, reason: 'unknown-or-wrong' });
    expect(unknown).toEqual(wrongSecret);
    expect(checkApiKey(formatApiKey('000000000000', key.secret), client)).toEqual(wrongSecret);
    expect(checkApiKey('not-a-key', null)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('refuses a revoked key whose secret matches', () => {
    expect(checkApiKey(key.key, { ...client, revokedAt: new Date('2026-11-27T10:00:00Z') })).toEqual({ ok: false, reason: 'revoked' });
  });

  it('drops unknown and retired scopes stored on a client (keys:admin is a role now)', () => {
    const odd = { ...client, scopes: ['scan-events:write', 'everything', 'keys:admin'] };
    expect(checkApiKey(key.key, odd)).toMatchObject({ ok: true, key: { scopes: ['scan-events:write'] } });
  });

  it('makes a principal without roles, whose subject names the key', () => {
    expect(apiKeyPrincipal({ clientId: key.id, name: 'GT450 middleware', scopes: ['dicom:write'] })).toEqual({
      kind: 'api-key',
      subject: `api-key:${key.id}`,
      displayName: 'GT450 middleware',
      clientId: key.id,
      roles: [],
      scopes: ['dicom:write'],
    });
  });
});
