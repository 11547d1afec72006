import { auditableParams } from './access-audit';
import { decideAccess } from './access-decision';
import { ACCESS_MATRIX, RouteAccess, smartScopeGrants } from './access-matrix';
import { isFhirPublicPath } from './authentication';
import { Principal, Role, ROLES } from './principal';

const person = (roles: Role[], scopes: string[] = []): Principal => ({ kind: 'person', subject: 's-1', displayName: 'pat', roles, scopes });
const apiKey = (scopes: string[]): Principal => ({ kind: 'api-key', subject: 'api-key:abc123', displayName: 'GT450 middleware', clientId: 'abc123', roles: [], scopes });

describe('decideAccess', () => {
  const reviewOnly: RouteAccess = { who: 'signed-in', roles: ['billing-reviewer'], patientData: true };

  it('lets a caller with one of the roles through and says whether the call is audited', () => {
    expect(decideAccess(reviewOnly, person(['billing-reviewer']), 'authenticated')).toEqual({ allowed: true, auditPatientData: true });
    expect(decideAccess({ who: 'signed-in', roles: ['ops-viewer'] }, person(['ops-viewer', 'service']), 'authenticated')).toEqual({ allowed: true, auditPatientData: false });
  });

  it('answers 401 without a credential and 403 naming the roles needed and held', () => {
    expect(decideAccess(reviewOnly, undefined, 'authenticated')).toMatchObject({ allowed: false, status: 401, error: 'unauthorized' });
    expect(decideAccess(reviewOnly, person(['ops-viewer']), 'authenticated')).toEqual({
      allowed: false,
      status: 403,
      error: 'forbidden',
      message: 'needs one of the roles billing-reviewer; the caller has ops-viewer',
    });
    expect(decideAccess(reviewOnly, person([]), 'authenticated')).toMatchObject({ message: expect.stringContaining('no slidecharge role') });
  });

  it('never gives an API key a role, whatever it claims', () => {
    const forged: Principal = { ...apiKey(['scan-events:write']), roles: ['billing-reviewer'] };
    expect(decideAccess(reviewOnly, forged, 'authenticated')).toMatchObject({ allowed: false, status: 403 });
  });

  it('refuses a route missing from the matrix to everyone, even with every role', () => {
    expect(decideAccess(undefined, person([...ROLES]), 'open')).toMatchObject({ allowed: false, status: 403, message: expect.stringContaining('not in the access matrix') });
  });

  it('takes an API key with the scope on scanner routes, and a token with an alternative role', () => {
    const read: RouteAccess = { who: 'scanner-client', keyScope: 'scan-events:read', orRoles: ['ops-viewer'] };
    expect(decideAccess(read, apiKey(['scan-events:read']), 'off')).toMatchObject({ allowed: true });
    expect(decideAccess(read, apiKey(['scan-events:write']), 'off')).toMatchObject({ allowed: false, status: 403, message: 'the API key does not have scope scan-events:read' });
    expect(decideAccess(read, person(['ops-viewer']), 'off')).toMatchObject({ allowed: true });
    expect(decideAccess(read, person(['billing-admin']), 'off')).toMatchObject({ allowed: false, status: 403 });
    expect(decideAccess({ who: 'scanner-client', keyScope: 'dicom:write' }, person([...ROLES]), 'off')).toMatchObject({ allowed: false, status: 403 });
    expect(decideAccess(read, undefined, 'off')).toMatchObject({ allowed: false, status: 401 });
  });

  it('needs a SMART scope on FHIR reads besides the role, and names it', () => {
    const search = ACCESS_MATRIX.billing['GET /fhir/ChargeItem'];
    expect(decideAccess(search, person(['service'], ['system/ChargeItem.read']), 'off')).toMatchObject({ allowed: true, auditPatientData: true });
    expect(decideAccess(search, person(['service'], ['openid']), 'off')).toEqual({
      allowed: false,
      status: 403,
      error: 'insufficient_scope',
      message: expect.stringContaining('system/ChargeItem.read'),
      insufficientScope: 'system/ChargeItem.read',
    });
    expect(decideAccess(search, person(['no-such-role' as Role], ['system/ChargeItem.read']), 'off')).toMatchObject({ status: 403, error: 'forbidden' });
  });

  it('follows HTTP_METRICS for /metrics', () => {
    const metrics = ACCESS_MATRIX.qc['GET /metrics'];
    expect(decideAccess(metrics, undefined, 'open')).toMatchObject({ allowed: true });
    expect(decideAccess(metrics, person([...ROLES]), 'off')).toMatchObject({ allowed: false, status: 404 });
    expect(decideAccess(metrics, undefined, 'authenticated')).toMatchObject({ allowed: false, status: 401 });
    expect(decideAccess(metrics, person(['service']), 'authenticated')).toMatchObject({ allowed: true });
    expect(decideAccess(metrics, person(['billing-reviewer']), 'authenticated')).toMatchObject({ allowed: false, status: 403 });
  });

  it('lets anyone at the health probes', () => {
    expect(decideAccess(ACCESS_MATRIX.billing['GET /health/ready'], undefined, 'off')).toEqual({ allowed: true, auditPatientData: false });
  });
});

describe('smartScopeGrants', () => {
  const read = { resource: 'ChargeItem', permission: 'r' } as const;
  const search = { resource: 'ChargeItem', permission: 's' } as const;

  it.each([
    [['system/ChargeItem.read'], true, true],
    [['user/ChargeItem.read'], true, true],
    [['system/*.read'], true, true],
    [['system/ChargeItem.*'], true, true],
    [['system/ChargeItem.rs'], true, true],
    [['system/ChargeItem.r'], true, false],
    [['system/ChargeItem.s'], false, true],
    [['system/ChargeItem.cud'], false, false],
    [['system/ChargeItem.write'], false, false],
    [['patient/ChargeItem.read'], false, false],
    [['system/Patient.read'], false, false],
    [['openid', 'profile'], false, false],
    [['system/ChargeItem.read extra'], false, false],
  ])('%j grants read %s and search %s', (scopes, r, s) => {
    expect(smartScopeGrants(scopes, read)).toBe(r);
    expect(smartScopeGrants(scopes, search)).toBe(s);
  });
});

describe('ACCESS_MATRIX', () => {
  it('gives every patient-data route to named roles only, never to anyone', () => {
    for (const routes of Object.values(ACCESS_MATRIX)) {
      for (const [route, access] of Object.entries(routes)) {
        // Anyone: the probes, FHIR conformance, and the ops console's sign-in settings and web front end files (no data).
        if (access.who === 'anyone') expect(route).toMatch(/^GET \/(health\/(live|ready)|fhir\/(metadata|\.well-known\/smart-configuration|StructureDefinition\/:id)|api\/config|\*path|)$/);
        if (access.who === 'signed-in') expect(access.roles.length).toBeGreaterThan(0);
      }
    }
  });

  it('opens exactly the FHIR routes the matrix gives to anyone in the authentication middleware, and nothing else under /fhir', () => {
    const open = Object.entries(ACCESS_MATRIX.billing).filter(([route, access]) => access.who === 'anyone' && route.startsWith('GET /fhir/'));
    expect(open.map(([route]) => route)).toEqual(['GET /fhir/metadata', 'GET /fhir/.well-known/smart-configuration', 'GET /fhir/StructureDefinition/:id']);
    expect(['/fhir/metadata', '/fhir/.well-known/smart-configuration', '/fhir/StructureDefinition/charge-modifier'].every(isFhirPublicPath)).toBe(true);
    expect(['/fhir/ChargeItem', '/fhir/ChargeItem/x', '/fhir/StructureDefinition/a/b', '/fhir/metadata/x', '/fhirmetadata', '/fhir/StructureDefinition'].some(isFhirPublicPath)).toBe(false);
  });

  it('keeps actions on charges, policies, deliveries and keys to their one role', () => {
    expect(ACCESS_MATRIX.billing['POST /charges/:chargeId/release']).toMatchObject({ roles: ['billing-reviewer'] });
    expect(ACCESS_MATRIX.billing['POST /charges/:chargeId/void']).toMatchObject({ roles: ['billing-reviewer'] });
    expect(ACCESS_MATRIX.billing['POST /policy-sets/:policyVersion/activate']).toMatchObject({ roles: ['billing-admin'] });
    expect(ACCESS_MATRIX.billing['POST /deliveries/:deliveryId/retry']).toMatchObject({ roles: ['billing-admin'] });
    expect(ACCESS_MATRIX['scanner-events']['POST /api-keys/:id/revoke']).toMatchObject({ roles: ['integration-admin'] });
    expect(ACCESS_MATRIX.accession['GET /hl7/messages/:id']).toMatchObject({ roles: ['integration-admin'] });
  });
});

describe('auditableParams', () => {
  it('keeps ordinary values and makes what Postgres cannot store, or should not, visible and short', () => {
    expect(auditableParams({ accessionNumber: 'S26-1', status: ['held', 'posted'] })).toEqual({ accessionNumber: 'S26-1', status: ['held', 'posted'] });
    expect(auditableParams({ accessionNumber: 'S26-000123\u0000', q: 'a\ud800b', ok: '🧫' })).toEqual({ accessionNumber: 'S26-000123\ufffd', q: 'a\ufffdb', ok: '🧫' });
    expect((auditableParams({ long: 'x'.repeat(5000) })['long'] as string).length).toBe(256);
  });
});
