import { may, staffRoles, tokenClaims } from './roles';

const jwt = (payload: object) => `h.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.s`;

describe('roles from the access token', () => {
  it('reads the roles claim the realm sets, ignoring roles that are not staff roles', () => {
    expect(staffRoles(tokenClaims(jwt({ roles: ['ops-viewer', 'service', 'offline_access'] })))).toEqual(['ops-viewer']);
  });

  it('reads Keycloak realm_access.roles too, and a space separated string', () => {
    expect(staffRoles({ realm_access: { roles: ['billing-admin'] } })).toEqual(['billing-admin']);
    expect(staffRoles({ roles: 'billing-reviewer integration-admin' })).toEqual(['billing-reviewer', 'integration-admin']);
  });

  it('finds no role in a token without one, or in text that is not a token', () => {
    expect(staffRoles(tokenClaims(jwt({ sub: 'x' })))).toEqual([]);
    expect(tokenClaims('not-a-token')).toEqual({});
    expect(tokenClaims('a.!!!.b')).toEqual({});
  });

  it('reads non-ASCII user names from the payload', () => {
    expect(tokenClaims(jwt({ preferred_username: 'zoë' }))['preferred_username']).toBe('zoë');
  });

  it('lets reviewers release, void and dismiss, and nothing else', () => {
    expect(may(['billing-reviewer'], 'release')).toBe(true);
    expect(may(['billing-reviewer'], 'void')).toBe(true);
    expect(may(['billing-reviewer'], 'dismiss-scan')).toBe(true);
    expect(may(['billing-reviewer'], 'retry-delivery')).toBe(false);
    expect(may(['billing-reviewer'], 'replay-dead-letter')).toBe(false);
  });

  it('lets billing admins retry deliveries and replay, integration admins replay only', () => {
    expect(may(['billing-admin'], 'retry-delivery')).toBe(true);
    expect(may(['billing-admin'], 'replay-dead-letter')).toBe(true);
    expect(may(['integration-admin'], 'replay-dead-letter')).toBe(true);
    expect(may(['integration-admin'], 'retry-delivery')).toBe(false);
  });

  it('lets ops viewers act on nothing', () => {
    for (const action of ['release', 'void', 'dismiss-scan', 'retry-delivery', 'replay-dead-letter'] as const) {
      expect(may(['ops-viewer'], action)).toBe(false);
    }
  });
});
