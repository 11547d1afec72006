import { Role } from './principal';

/**
 * Who may call each HTTP route of each service: the authorization matrix, in one place.
 * The access guard reads it for every request (a route missing here is refused, never let through),
 * a test walks every route x role against the running services, and docs/security.md shows it
 * (rendered by renderAccessMatrix; a unit test keeps the page equal to this table).
 */
export type RouteAccess =
  /** Liveness and readiness probes: no credential, no data. */
  | { who: 'anyone' }
  /** A bearer token from the identity provider with one of `roles` (and, for FHIR, a SMART scope). */
  | { who: 'signed-in'; roles: readonly Role[]; patientData?: boolean; smart?: SmartAccess }
  /** A scanner-middleware API key with `keyScope`, or a token with one of `orRoles`. */
  | { who: 'scanner-client'; keyScope: string; orRoles?: readonly Role[] }
  /** Prometheus metrics: HTTP_METRICS decides (off: 404, open: anyone, authenticated: `roles`). */
  | { who: 'metrics'; roles: readonly Role[] };

/** A SMART-on-FHIR style scope the token must also carry, e.g. system/ChargeItem.read. */
export interface SmartAccess {
  resource: string;
  /** r: read one by id; s: search. */
  permission: 'r' | 's';
}

export type ServiceName = 'accession' | 'scanner-events' | 'qc' | 'billing' | 'ops-console';

/** `METHOD /path` with the route's parameters as Nest declares them, e.g. `POST /charges/:chargeId/release`. */
export type RouteKey = `${'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'} /${string}`;

const READERS: readonly Role[] = ['ops-viewer', 'billing-reviewer', 'billing-admin'];
const ALL_STAFF: readonly Role[] = [...READERS, 'integration-admin'];

/**
 * Routes of every service that consumes (libs/service-kit dead-letters/). The original of a dead
 * letter may hold patient data; replaying changes what the service holds.
 */
const DEAD_LETTERS: Record<RouteKey, RouteAccess> = {
  'GET /dead-letters': { who: 'signed-in', roles: ['ops-viewer', 'integration-admin', 'billing-admin'] },
  'GET /dead-letters/:id': { who: 'signed-in', roles: ['integration-admin', 'billing-admin'], patientData: true },
  'POST /dead-letters/:id/replay': { who: 'signed-in', roles: ['integration-admin', 'billing-admin'] },
};

/** Routes every service has (libs/service-kit HealthController). */
const COMMON: Record<RouteKey, RouteAccess> = {
  'GET /health/live': { who: 'anyone' },
  'GET /health/ready': { who: 'anyone' },
  'GET /metrics': { who: 'metrics', roles: ['ops-viewer', 'service'] },
};

export const ACCESS_MATRIX: Record<ServiceName, Record<RouteKey, RouteAccess>> = {
  accession: {
    ...COMMON,
    // The LIS (its integration engine) sends cases; people only read them.
    'POST /cases': { who: 'signed-in', roles: ['service'], patientData: true },
    'PUT /cases/:accessionNumber': { who: 'signed-in', roles: ['service'], patientData: true },
    'POST /cases/:accessionNumber/cancel': { who: 'signed-in', roles: ['service'], patientData: true },
    // A re-accessioned slide moves between two cases: a case write like the others (the LIS).
    'POST /cases/:accessionNumber/slides/:barcode/move': { who: 'signed-in', roles: ['service'], patientData: true },
    // Interface analysts (integration-admin) follow an HL7 order to the case it made.
    'GET /cases': { who: 'signed-in', roles: [...ALL_STAFF, 'service'], patientData: true },
    'GET /cases/:accessionNumber': { who: 'signed-in', roles: [...ALL_STAFF, 'service'], patientData: true },
    // Raw HL7 holds names, birth dates and addresses: interface analysts only.
    'GET /hl7/messages': { who: 'signed-in', roles: ['integration-admin'], patientData: true },
    'GET /hl7/messages/:id': { who: 'signed-in', roles: ['integration-admin'], patientData: true },
  },
  'scanner-events': {
    ...COMMON,
    ...DEAD_LETTERS,
    'POST /scan-events': { who: 'scanner-client', keyScope: 'scan-events:write' },
    'POST /scan-events/batch': { who: 'scanner-client', keyScope: 'scan-events:write' },
    'GET /scan-events/:eventId': { who: 'scanner-client', keyScope: 'scan-events:read', orRoles: ['ops-viewer', 'integration-admin'] },
    'GET /slides/:barcode/scans': { who: 'scanner-client', keyScope: 'scan-events:read', orRoles: ['ops-viewer', 'integration-admin'] },
    'POST /dicom/instances': { who: 'scanner-client', keyScope: 'dicom:write' },
    'POST /api-keys': { who: 'signed-in', roles: ['integration-admin'] },
    'GET /api-keys': { who: 'signed-in', roles: ['integration-admin'] },
    'GET /api-keys/:id': { who: 'signed-in', roles: ['integration-admin'] },
    'POST /api-keys/:id/revoke': { who: 'signed-in', roles: ['integration-admin'] },
  },
  qc: {
    ...COMMON,
    ...DEAD_LETTERS,
    'GET /qc/rules': { who: 'signed-in', roles: ALL_STAFF },
    'GET /qc/results': { who: 'signed-in', roles: ALL_STAFF },
    'GET /qc/results/:scanId': { who: 'signed-in', roles: ALL_STAFF },
    'GET /qc/rescans': { who: 'signed-in', roles: ALL_STAFF },
    'GET /slides/:barcode/qc': { who: 'signed-in', roles: ALL_STAFF },
  },
  billing: {
    ...COMMON,
    ...DEAD_LETTERS,
    'GET /charges': { who: 'signed-in', roles: READERS, patientData: true },
    'GET /charges/:chargeId': { who: 'signed-in', roles: READERS, patientData: true },
    'GET /cases/:accessionNumber/billing': { who: 'signed-in', roles: READERS, patientData: true },
    'GET /unmatched-scans': { who: 'signed-in', roles: ALL_STAFF },
    // Setting a scan aside is a billing review decision (like voiding a held charge).
    'POST /unmatched-scans/:scanId/dismiss': { who: 'signed-in', roles: ['billing-reviewer'] },
    'GET /review-queue': { who: 'signed-in', roles: READERS, patientData: true },
    'POST /charges/:chargeId/release': { who: 'signed-in', roles: ['billing-reviewer'], patientData: true },
    'POST /charges/:chargeId/void': { who: 'signed-in', roles: ['billing-reviewer'], patientData: true },
    'GET /policy-sets': { who: 'signed-in', roles: READERS },
    'GET /policy-sets/:policyVersion': { who: 'signed-in', roles: READERS },
    'POST /policy-sets': { who: 'signed-in', roles: ['billing-admin'] },
    'POST /policy-sets/:policyVersion/activate': { who: 'signed-in', roles: ['billing-admin'] },
    // DFT^P03 deliveries carry the whole charge message (patient id, diagnoses).
    'GET /deliveries': { who: 'signed-in', roles: ['ops-viewer', 'billing-admin', 'integration-admin'], patientData: true },
    'GET /deliveries/:deliveryId': { who: 'signed-in', roles: ['ops-viewer', 'billing-admin', 'integration-admin'], patientData: true },
    'GET /charges/:chargeId/deliveries': { who: 'signed-in', roles: ['ops-viewer', 'billing-admin', 'integration-admin'], patientData: true },
    'POST /deliveries/:deliveryId/retry': { who: 'signed-in', roles: ['billing-admin'] },
    // FHIR: billing systems (service) and staff, each with a SMART scope that grants ChargeItem reads.
    // The conformance resources and SMART discovery hold no patient data and are read before a client
    // has a token (it finds the token endpoint there): open, as FHIR_PUBLIC_PATHS in authentication.ts.
    'GET /fhir/metadata': { who: 'anyone' },
    'GET /fhir/.well-known/smart-configuration': { who: 'anyone' },
    'GET /fhir/StructureDefinition/:id': { who: 'anyone' },
    'GET /fhir/ChargeItem': { who: 'signed-in', roles: [...READERS, 'service'], patientData: true, smart: { resource: 'ChargeItem', permission: 's' } },
    'GET /fhir/ChargeItem/:id': { who: 'signed-in', roles: [...READERS, 'service'], patientData: true, smart: { resource: 'ChargeItem', permission: 'r' } },
  },
  // The ops console's server (a backend for its web front end). Its reads are for every staff role; an
  // action or a read of another service is forwarded with the caller's own token, so the owning service
  // decides (its 403 reaches the browser as it is). The web front end's files and its sign-in settings
  // hold no data: anyone.
  'ops-console': {
    ...COMMON,
    ...DEAD_LETTERS,
    'GET /api/config': { who: 'anyone' },
    'GET /api/overview': { who: 'signed-in', roles: ALL_STAFF },
    'GET /api/charge-lag': { who: 'signed-in', roles: ALL_STAFF },
    // The live feed names accessions (not with ?view=wall): audited when it opens.
    'GET /api/live': { who: 'signed-in', roles: ALL_STAFF, patientData: true },
    'GET /api/review-queue': { who: 'signed-in', roles: ALL_STAFF, patientData: true },
    'GET /api/charges/:chargeId': { who: 'signed-in', roles: ALL_STAFF, patientData: true },
    'POST /api/charges/:chargeId/release': { who: 'signed-in', roles: ALL_STAFF, patientData: true },
    'POST /api/charges/:chargeId/void': { who: 'signed-in', roles: ALL_STAFF, patientData: true },
    'GET /api/deliveries': { who: 'signed-in', roles: ALL_STAFF, patientData: true },
    'POST /api/deliveries/:deliveryId/retry': { who: 'signed-in', roles: ALL_STAFF },
    'GET /api/unmatched-scans': { who: 'signed-in', roles: ALL_STAFF },
    'POST /api/unmatched-scans/:scanId/dismiss': { who: 'signed-in', roles: ALL_STAFF },
    'GET /api/qc/rescans': { who: 'signed-in', roles: ALL_STAFF },
    'GET /api/dead-letters': { who: 'signed-in', roles: ALL_STAFF },
    'GET /api/dead-letters/:service/:id': { who: 'signed-in', roles: ALL_STAFF, patientData: true },
    'POST /api/dead-letters/:service/:id/replay': { who: 'signed-in', roles: ALL_STAFF },
    'GET /api/cases': { who: 'signed-in', roles: ALL_STAFF, patientData: true },
    'GET /api/cases/:accessionNumber/timeline': { who: 'signed-in', roles: ALL_STAFF, patientData: true },
    'GET /': { who: 'anyone' },
    'GET /*path': { who: 'anyone' },
  },
};

/**
 * Whether token scopes grant a SMART permission on a resource: system/ or user/ scopes, SMART v1
 * (`.read`, `.*`) or v2 (`.rs`, `.cruds`) syntax, the resource or `*`. patient/ scopes are not
 * honoured: slidecharge has no patient launch context.
 */
export function smartScopeGrants(scopes: readonly string[], access: SmartAccess): boolean {
  return scopes.some((scope) => {
    const match = /^(system|user)\/([A-Za-z]+|\*)\.(read|\*|[cruds]+)$/.exec(scope);
    if (!match) return false;
    const [, , resource, permissions] = match as unknown as [string, string, string, string];
    if (resource !== '*' && resource !== access.resource) return false;
    return permissions === 'read' || permissions === '*' || permissions.includes(access.permission);
  });
}

/** The scope a client should ask for to get a SMART permission (named in 403 answers). */
export function smartScopeExample(access: SmartAccess): string {
  return `system/${access.resource}.read`;
}

function whoText(access: RouteAccess): string {
  switch (access.who) {
    case 'anyone':
      return 'anyone (no credential)';
    case 'signed-in':
      return `${access.roles.join(', ')}${access.smart ? ` + a SMART scope granting ${access.smart.resource} reads (${smartScopeExample(access.smart)}, user/${access.smart.resource}.read, or v2 .${access.smart.permission})` : ''}`;
    case 'scanner-client':
      return `API key with ${access.keyScope}${access.orRoles ? `; or ${access.orRoles.join(', ')}` : ''}`;
    case 'metrics':
      return `HTTP_METRICS: open, or ${access.roles.join(', ')} when authenticated, or off`;
  }
}

/** The matrix as the Markdown table of docs/security.md (one row per route). */
export function renderAccessMatrix(): string {
  const rows = ['| service | route | who may call it | patient data (audited) |', '|---|---|---|---|'];
  for (const [service, routes] of Object.entries(ACCESS_MATRIX)) {
    for (const [route, access] of Object.entries(routes)) {
      const audited = access.who === 'signed-in' && access.patientData ? 'yes' : '';
      rows.push(`| ${service} | \`${route}\` | ${whoText(access)} | ${audited} |`);
    }
  }
  return rows.join('\n');
}
