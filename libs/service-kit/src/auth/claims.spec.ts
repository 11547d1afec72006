import { actorLabel } from './principal';
import { claimAt, principalFromClaims } from './claims';
import { credentialOf } from './credential';

const names = { roles: 'roles', username: 'preferred_username' };

describe('principalFromClaims', () => {
  it('makes a person of a token with a user name, keeping only slidecharge roles', () => {
    expect(
      principalFromClaims({ sub: 'u-1', azp: 'slidecharge-cli', preferred_username: 'reviewer', roles: ['billing-reviewer', 'offline_access', 'billing-reviewer'], scope: 'openid profile' }, names),
    ).toEqual({ kind: 'person', subject: 'u-1', displayName: 'reviewer', clientId: 'slidecharge-cli', roles: ['billing-reviewer'], scopes: ['openid', 'profile'] });
  });

  it('makes a machine of a client-credentials token, named by its client', () => {
    expect(principalFromClaims({ sub: 'sa-1', azp: 'billing-system', roles: ['service'], scope: 'system/ChargeItem.read' }, names)).toEqual({
      kind: 'machine',
      subject: 'sa-1',
      displayName: 'billing-system',
      clientId: 'billing-system',
      roles: ['service'],
      scopes: ['system/ChargeItem.read'],
    });
    expect(principalFromClaims({ sub: 'sa-2', client_id: 'lis', preferred_username: 'service-account-lis' }, names)?.kind).toBe('machine');
  });

  it('reads roles from a configured dot path and scopes from scp arrays', () => {
    const payload = { sub: 'u', realm_access: { roles: ['ops-viewer'] }, scp: ['user/ChargeItem.read'] };
    expect(principalFromClaims(payload, { roles: 'realm_access.roles', username: 'preferred_username' })).toMatchObject({ roles: ['ops-viewer'], scopes: ['user/ChargeItem.read'] });
    expect(claimAt(payload, 'realm_access.roles.0')).toBeUndefined();
    expect(claimAt({ a: ['x'] }, 'a.b')).toBeUndefined();
  });

  it('has no principal for a token without a subject, and no roles from a malformed claim', () => {
    expect(principalFromClaims({ azp: 'x', roles: ['service'] }, names)).toBeUndefined();
    expect(principalFromClaims({ sub: 'u', roles: { admin: true } }, names)?.roles).toEqual([]);
  });

  it('labels the actor of an audit trail with the stable subject', () => {
    const person = principalFromClaims({ sub: 'u-1', preferred_username: 'reviewer' }, names);
    expect(actorLabel(person as NonNullable<typeof person>)).toBe('reviewer (sub u-1)');
    expect(actorLabel({ kind: 'api-key', subject: 'api-key:ab12cd', displayName: 'GT450', roles: [], scopes: [] })).toBe('GT450 (api-key:ab12cd)');
  });
});

describe('credentialOf', () => {
  const isKey = (v: string) => v.startsWith('sck_');

  it('reads a bearer token, an API key header, or an API key sent as a bearer token', () => {
    expect(credentialOf({ authorization: 'Bearer eyJ.a.b' }, isKey)).toEqual({ kind: 'bearer', token: 'eyJ.a.b' });
    expect(credentialOf({ authorization: 'bearer  eyJ.a.b' }, isKey)).toEqual({ kind: 'bearer', token: 'eyJ.a.b' });
    expect(credentialOf({ 'x-api-key': ' sck_abc123_secret ' }, isKey)).toEqual({ kind: 'api-key', key: 'sck_abc123_secret' });
    expect(credentialOf({ authorization: 'Bearer sck_abc123_secret' }, isKey)).toEqual({ kind: 'api-key', key: 'sck_abc123_secret' });
    expect(credentialOf({}, isKey)).toEqual({ kind: 'none' });
  });

  it('refuses other schemes, two credentials, repeated headers, odd characters and huge values', () => {
    expect(credentialOf({ authorization: 'Basic dXNlcjpwYXNz' }, isKey)).toMatchObject({ kind: 'malformed' });
    expect(credentialOf({ authorization: 'Bearer a', 'x-api-key': 'b' }, isKey)).toMatchObject({ kind: 'malformed', reason: expect.stringContaining('not both') });
    expect(credentialOf({ authorization: ['Bearer a', 'Bearer b'] }, isKey)).toMatchObject({ kind: 'malformed' });
    expect(credentialOf({ authorization: 'Bearer a"b' }, isKey)).toMatchObject({ kind: 'malformed' });
    expect(credentialOf({ authorization: `Bearer ${'a'.repeat(20_000)}` }, isKey)).toMatchObject({ kind: 'malformed' });
    expect(credentialOf({ 'x-api-key': '' }, isKey)).toMatchObject({ kind: 'malformed' });
  });
});
