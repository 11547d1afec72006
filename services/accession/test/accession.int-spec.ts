import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { CaseEvent, CaseSnapshot, validateTopicMessage } from '@slidecharge/contracts';
import { ReadMessage } from '@slidecharge/testing';
import { createOpenApiDocument } from '../src/openapi';
import { CASE_TOPIC, caseOfAnswer, useAccessionHarness } from './harness';

/**
 * The accession service against the real Postgres and Kafka: HTTP in, case events out through the
 * outbox. Topics are shared with other suites, so every test uses its own accession numbers.
 */
const harness = useAccessionHarness();
const { http } = harness;

const run = randomUUID().slice(0, 8).toUpperCase();
let counter = 0;
const newAccession = () => `IT${run}-${++counter}`;

function caseBody(accessionNumber: string, over: Record<string, unknown> = {}) {
  return {
    patientId: `MRN-${accessionNumber}`,
    payer: { payerId: 'MEDICARE', name: 'Medicare Part B' },
    collectionDate: '2026-11-20',
    orderingProvider: 'Dr. Ada Lovelace',
    diagnoses: ['C50.911'],
    specimens: [
      { specimenId: 'A', primaryCpt: '88305', units: 1, description: 'left breast core' },
      { specimenId: 'B', primaryCpt: '88307', units: 1 },
    ],
    slides: [
      { barcode: `${accessionNumber}-A1-1`, specimenId: 'A', block: 'A1', stain: 'H&E' },
      { barcode: `${accessionNumber}-A1-2`, specimenId: 'A', block: 'A1' },
      { barcode: `${accessionNumber}-B1-1`, specimenId: 'B' },
    ],
    ...over,
  };
}

type CaseMessage = Extract<CaseEvent, { type: string }>;
const eventsOf = (accessionNumber: string) => (m: ReadMessage) => m.topic === CASE_TOPIC && m.key === accessionNumber;
const waitForEvents = async (accessionNumber: string, count: number) =>
  (await harness.reader.waitFor(eventsOf(accessionNumber), (list) => list.length >= count)).map((m) => m.value as CaseMessage);

async function outboxCount(accessionNumber: string): Promise<number> {
  const { rows } = await harness.pool.query('SELECT count(*)::int AS n FROM accession.outbox WHERE key = $1', [accessionNumber]);
  return rows[0].n as number;
}

describe('creating, updating and cancelling a case', () => {
  const accession = newAccession();
  let created: CaseSnapshot;

  it('creates the case (201, version 1) and publishes case.created with the full case, keyed by accession number', async () => {
    const res = await http().post('/cases').set('x-correlation-id', `it-${accession}`).send({ accessionNumber: accession, ...caseBody(accession) }).expect(201);
    created = res.body;
    expect(created).toMatchObject({ accessionNumber: accession, status: 'active', version: 1, collectionDate: '2026-11-20' });
    expect(created.slides).toHaveLength(3);
    const [event] = await waitForEvents(accession, 1);
    expect(event?.type).toBe('case.created');
    expect(event?.producer).toBe('accession');
    expect(event?.correlationId).toBe(`it-${accession}`);
    expect(event?.data).toEqual(created);
    expect(validateTopicMessage(CASE_TOPIC, event).ok).toBe(true);
    const message = harness.reader.messages.find(eventsOf(accession));
    expect(message?.headers['x-event-type']).toBe('case.created');
    expect(caseOfAnswer((await http().get(`/cases/${accession}`).expect(200)).body)).toEqual(created);
  });

  it('replaces the details (200, version 2) and publishes case.updated', async () => {
    const body = caseBody(accession, { specimens: [{ specimenId: 'A', primaryCpt: '88307', units: 1 }, { specimenId: 'B', primaryCpt: '88307', units: 1 }] });
    const res = await http().put(`/cases/${accession}`).send(body).expect(200);
    expect(res.body).toMatchObject({ version: 2, specimens: [{ specimenId: 'A', primaryCpt: '88307' }, { specimenId: 'B' }] });
    const events = await waitForEvents(accession, 2);
    expect(events[1]?.type).toBe('case.updated');
    expect(events[1]?.data).toEqual(res.body);
  });

  it('answers an identical PUT (even reordered) with the same version and publishes nothing', async () => {
    const body = caseBody(accession, { specimens: [{ specimenId: 'B', primaryCpt: '88307', units: 1 }, { specimenId: 'A', primaryCpt: '88307', units: 1 }] });
    body.slides = [...body.slides].reverse();
    const res = await http().put(`/cases/${accession}`).send(body).expect(200);
    expect(res.body.version).toBe(2);
    expect(await outboxCount(accession)).toBe(2);
  });

  it('cancels the case (version 3, case.cancelled), treats a second cancel as done, and refuses later changes', async () => {
    const res = await http().post(`/cases/${accession}/cancel`).send({ reason: 'ordered on the wrong patient' }).expect(200);
    expect(res.body).toMatchObject({ status: 'cancelled', version: 3, cancelReason: 'ordered on the wrong patient' });
    const again = await http().post(`/cases/${accession}/cancel`).send({ reason: 'again' }).expect(200);
    expect(again.body).toMatchObject({ status: 'cancelled', version: 3, cancelReason: 'ordered on the wrong patient' });
    const put = await http().put(`/cases/${accession}`).send(caseBody(accession)).expect(409);
    expect(put.body).toMatchObject({ error: 'case_cancelled' });
    expect(put.body.message).toContain(accession);

    const events = await waitForEvents(accession, 3);
    // Events of one key arrive in order; the cancel came after the identical PUT, so that PUT published nothing.
    expect(events.map((e) => [e.type, e.data.version])).toEqual([
      ['case.created', 1],
      ['case.updated', 2],
      ['case.cancelled', 3],
    ]);
    expect(events[2]?.data).toEqual(res.body);
    expect(await outboxCount(accession)).toBe(3);
  });
});

describe('case flags, specimen modifiers and diagnosis pointers', () => {
  const accession = newAccession();
  const flagged = (over: Record<string, unknown> = {}) =>
    caseBody(accession, {
      diagnoses: ['C50.911', 'C61', 'Z12.31'],
      flags: { researchStudy: true, digitalSignOut: true, abnOnFile: false },
      specimens: [
        { specimenId: 'A', primaryCpt: '88305', units: 1, description: 'left breast core', modifiers: ['Q1', '59'], diagnosisPointers: [2, 1] },
        { specimenId: 'B', primaryCpt: '88307', units: 1 },
      ],
      ...over,
    });

  it('stores them, returns them and publishes them in case.created; a flag set to false and absent fields stay absent', async () => {
    const res = await http().post('/cases').send({ accessionNumber: accession, ...flagged() }).expect(201);
    expect(res.body.flags).toEqual({ researchStudy: true, digitalSignOut: true });
    expect(res.body.specimens).toEqual([
      { specimenId: 'A', description: 'left breast core', primaryCpt: '88305', units: 1, modifiers: ['Q1', '59'], diagnosisPointers: [2, 1] },
      { specimenId: 'B', primaryCpt: '88307', units: 1 },
    ]);
    expect(caseOfAnswer((await http().get(`/cases/${accession}`).expect(200)).body)).toEqual(res.body);
    const [event] = await waitForEvents(accession, 1);
    expect(event?.type).toBe('case.created');
    expect(event?.data).toEqual(res.body);
    expect(validateTopicMessage(CASE_TOPIC, event).ok).toBe(true);
    const { rows } = await harness.pool.query(
      'SELECT research_study, digital_sign_out, abn_on_file, physician_office, reduced_service FROM accession."case" WHERE accession_number = $1',
      [accession],
    );
    expect(rows).toEqual([{ research_study: true, digital_sign_out: true, abn_on_file: false, physician_office: false, reduced_service: false }]);
  });

  it('answers the same PUT (reordered, false flags dropped, empty lists) with the same version and publishes nothing', async () => {
    const body = flagged({
      flags: { digitalSignOut: true, researchStudy: true, reducedService: false },
      specimens: [
        { specimenId: 'B', primaryCpt: '88307', units: 1, modifiers: [], diagnosisPointers: [] },
        { specimenId: 'A', primaryCpt: '88305', units: 1, description: 'left breast core', modifiers: ['Q1', '59'], diagnosisPointers: [2, 1] },
      ],
    });
    const res = await http().put(`/cases/${accession}`).send(body).expect(200);
    expect(res.body.version).toBe(1);
    expect(await outboxCount(accession)).toBe(1);
  });

  it('treats a change of flags as an update (version 2, case.updated with the new flags)', async () => {
    const res = await http()
      .put(`/cases/${accession}`)
      .send(flagged({ flags: { researchStudy: true, abnOnFile: true } }))
      .expect(200);
    expect(res.body).toMatchObject({ version: 2, flags: { researchStudy: true, abnOnFile: true } });
    expect(res.body.flags).not.toHaveProperty('digitalSignOut');
    const events = await waitForEvents(accession, 2);
    expect(events[1]?.type).toBe('case.updated');
    expect(events[1]?.data).toEqual(res.body);
  });

  it('treats a change of modifiers or pointers as an update, and clearing every flag publishes a case without flags', async () => {
    const res = await http()
      .put(`/cases/${accession}`)
      .send(
        flagged({
          flags: { researchStudy: false },
          specimens: [
            { specimenId: 'A', primaryCpt: '88305', units: 1, description: 'left breast core', modifiers: ['59'], diagnosisPointers: [1, 3] },
            { specimenId: 'B', primaryCpt: '88307', units: 1, diagnosisPointers: [2] },
          ],
        }),
      )
      .expect(200);
    expect(res.body.version).toBe(3);
    expect(res.body).not.toHaveProperty('flags');
    expect(res.body.specimens).toEqual([
      { specimenId: 'A', description: 'left breast core', primaryCpt: '88305', units: 1, modifiers: ['59'], diagnosisPointers: [1, 3] },
      { specimenId: 'B', primaryCpt: '88307', units: 1, diagnosisPointers: [2] },
    ]);
    const events = await waitForEvents(accession, 3);
    expect(events.map((e) => [e.type, e.data.version])).toEqual([
      ['case.created', 1],
      ['case.updated', 2],
      ['case.updated', 3],
    ]);
    expect(events[2]?.data).toEqual(res.body);
    expect(events[2]?.data).not.toHaveProperty('flags');
  });

  it('publishes a case sent without the new fields without them', async () => {
    const plain = newAccession();
    const res = await http().post('/cases').send({ accessionNumber: plain, ...caseBody(plain) }).expect(201);
    const [event] = await waitForEvents(plain, 1);
    for (const c of [res.body as CaseSnapshot, event?.data]) {
      expect(c).not.toHaveProperty('flags');
      expect(c?.specimens.some((s) => 'modifiers' in s || 'diagnosisPointers' in s)).toBe(false);
    }
  });

  it('refuses a diagnosis pointer past the case diagnoses with 400 naming the field, and stores nothing', async () => {
    const other = newAccession();
    const body = caseBody(other, {
      diagnoses: ['C50.911', 'C61'],
      specimens: [
        { specimenId: 'A', primaryCpt: '88305', units: 1, diagnosisPointers: [1] },
        { specimenId: 'B', primaryCpt: '88307', units: 1, diagnosisPointers: [2, 3] },
      ],
    });
    const res = await http().post('/cases').send({ accessionNumber: other, ...body }).expect(400);
    expect(res.body).toMatchObject({ error: 'validation_failed' });
    expect(res.body.issues).toEqual([{ path: 'specimens.1.diagnosisPointers.1', message: "diagnosis pointer 3 points past the case's 2 diagnoses" }]);
    expect(res.body.message).toContain('specimens.1.diagnosisPointers.1');
    const put = await http().put(`/cases/${other}`).send(body).expect(400);
    expect(put.body.issues.map((i: { path: string }) => i.path)).toEqual(['specimens.1.diagnosisPointers.1']);
    await http().get(`/cases/${other}`).expect(404);
    expect(await outboxCount(other)).toBe(0);
  });

  it('names a malformed modifier and a fifth modifier', async () => {
    const other = newAccession();
    const specimens = (modifiers: string[]) => [{ specimenId: 'A', primaryCpt: '88305', units: 1, modifiers }];
    const bad = await http().post('/cases').send({ accessionNumber: other, ...caseBody(other, { specimens: specimens(['59', 'xyz']), slides: [] }) }).expect(400);
    expect(bad.body.issues.map((i: { path: string }) => i.path)).toEqual(['specimens.0.modifiers.1']);
    const many = await http().post('/cases').send({ accessionNumber: other, ...caseBody(other, { specimens: specimens(['59', 'Q1', 'GA', 'SU', '52']), slides: [] }) }).expect(400);
    expect(many.body.issues.map((i: { path: string }) => i.path)).toEqual(['specimens.0.modifiers']);
  });
});

describe('patient demographics, ordering provider NPI and storage retrieval date', () => {
  const accession = newAccession();
  const patient = { familyName: 'Doe', givenName: 'Jane', birthDate: '1961-04-02', administrativeSex: 'F', identifierAuthority: 'HOSP-MRN' };
  const withDemographics = (over: Record<string, unknown> = {}) =>
    caseBody(accession, {
      patient,
      orderingProviderNpi: '1234567893',
      specimens: [
        { specimenId: 'A', primaryCpt: '88305', units: 1, retrievedFromStorageDate: '2026-11-25' },
        { specimenId: 'B', primaryCpt: '88307', units: 1 },
      ],
      ...over,
    });

  it('stores them, returns them and publishes them in case.created', async () => {
    const res = await http().post('/cases').send({ accessionNumber: accession, ...withDemographics() }).expect(201);
    expect(res.body).toMatchObject({ patient, orderingProviderNpi: '1234567893' });
    expect(res.body.specimens[0]).toMatchObject({ specimenId: 'A', retrievedFromStorageDate: '2026-11-25' });
    expect(res.body.specimens[1]).not.toHaveProperty('retrievedFromStorageDate');
    expect(caseOfAnswer((await http().get(`/cases/${accession}`).expect(200)).body)).toEqual(res.body);
    const [event] = await waitForEvents(accession, 1);
    expect(event?.data).toEqual(res.body);
    expect(validateTopicMessage(CASE_TOPIC, event).ok).toBe(true);
    const { rows } = await harness.pool.query(
      `SELECT patient_family_name, patient_given_name, to_char(patient_birth_date, 'YYYY-MM-DD') AS birth, patient_administrative_sex, patient_identifier_authority, ordering_provider_npi
         FROM accession."case" WHERE accession_number = $1`,
      [accession],
    );
    expect(rows).toEqual([
      { patient_family_name: 'Doe', patient_given_name: 'Jane', birth: '1961-04-02', patient_administrative_sex: 'F', patient_identifier_authority: 'HOSP-MRN', ordering_provider_npi: '1234567893' },
    ]);
  });

  it('treats the same PUT as unchanged and a changed birth date or retrieval date as an update', async () => {
    expect((await http().put(`/cases/${accession}`).send(withDemographics()).expect(200)).body.version).toBe(1);
    const changed = await http()
      .put(`/cases/${accession}`)
      .send(withDemographics({ patient: { ...patient, birthDate: '1961-04-03' }, specimens: [{ specimenId: 'A', primaryCpt: '88305', units: 1 }, { specimenId: 'B', primaryCpt: '88307', units: 1 }] }))
      .expect(200);
    expect(changed.body).toMatchObject({ version: 2, patient: { birthDate: '1961-04-03' } });
    expect(changed.body.specimens[0]).not.toHaveProperty('retrievedFromStorageDate');
    const events = await waitForEvents(accession, 2);
    expect(events[1]?.data).toEqual(changed.body);
  });

  it('refuses an NPI that is not 10 digits and an unknown administrative sex (400 naming the field)', async () => {
    const other = newAccession();
    const bad = await http()
      .post('/cases')
      .send({ accessionNumber: other, ...caseBody(other, { orderingProviderNpi: '12345', patient: { administrativeSex: 'X' } }) })
      .expect(400);
    expect(bad.body.issues.map((i: { path: string }) => i.path).sort()).toEqual(['orderingProviderNpi', 'patient.administrativeSex']);
  });
});

describe('PUT of an unknown case', () => {
  it('creates it (201, version 1, case.created)', async () => {
    const accession = newAccession();
    const res = await http().put(`/cases/${accession}`).send(caseBody(accession)).expect(201);
    expect(res.body).toMatchObject({ accessionNumber: accession, version: 1, status: 'active' });
    const [event] = await waitForEvents(accession, 1);
    expect(event?.type).toBe('case.created');
  });

  it('refuses a body whose accessionNumber differs from the path', async () => {
    const accession = newAccession();
    const res = await http().put(`/cases/${accession}`).send({ ...caseBody(accession), accessionNumber: 'OTHER-1' }).expect(400);
    expect(res.body.issues[0].path).toBe('accessionNumber');
  });
});

describe('invalid input', () => {
  it('names the field of a malformed CPT code', async () => {
    const accession = newAccession();
    const res = await http()
      .post('/cases')
      .send({ accessionNumber: accession, ...caseBody(accession, { specimens: [{ specimenId: 'A', primaryCpt: '8830X5', units: 1 }], slides: [] }) })
      .expect(400);
    expect(res.body).toMatchObject({ error: 'validation_failed', issues: [{ path: 'specimens.0.primaryCpt' }] });
    expect(res.body.message).toContain('specimens.0.primaryCpt');
  });

  it('names the slide whose specimen the case does not have', async () => {
    const accession = newAccession();
    const body = caseBody(accession, { slides: [{ barcode: `${accession}-C1-1`, specimenId: 'C' }] });
    const res = await http().post('/cases').send({ accessionNumber: accession, ...body }).expect(400);
    expect(res.body.issues).toEqual([{ path: 'slides.0.specimenId', message: expect.stringContaining('specimen C') }]);
  });

  it('names a collection date that is not a date', async () => {
    const accession = newAccession();
    for (const collectionDate of ['2026-02-30', '20/11/2026']) {
      const res = await http().put(`/cases/${accession}`).send(caseBody(accession, { collectionDate })).expect(400);
      expect(res.body.issues.map((i: { path: string }) => i.path)).toEqual(['collectionDate']);
    }
    await http().get(`/cases/${accession}`).expect(404);
  });

  it('names a bad accession number in the path, a missing cancel reason and a bad list query', async () => {
    const bad = await http().get('/cases/bad%20accession').expect(400);
    expect(bad.body.issues[0].path).toBe('accessionNumber');
    const noReason = await http().post(`/cases/${newAccession()}/cancel`).send({}).expect(400);
    expect(noReason.body.issues[0].path).toBe('reason');
    const badQuery = await http().get('/cases?status=deleted&limit=1000').expect(400);
    expect(badQuery.body.issues.map((i: { path: string }) => i.path).sort()).toEqual(['limit', 'status']);
  });
});

describe('unknown and duplicate cases', () => {
  it('answers 404 with a message for an unknown case, on read and on cancel', async () => {
    const accession = newAccession();
    const res = await http().get(`/cases/${accession}`).expect(404);
    expect(res.body).toEqual({ error: 'case_not_found', message: `case ${accession} does not exist` });
    await http().post(`/cases/${accession}/cancel`).send({ reason: 'x' }).expect(404);
  });

  it('refuses a second POST of the same accession number with 409 suggesting PUT, and publishes once', async () => {
    const accession = newAccession();
    await http().post('/cases').send({ accessionNumber: accession, ...caseBody(accession) }).expect(201);
    const res = await http().post('/cases').send({ accessionNumber: accession, ...caseBody(accession) }).expect(409);
    expect(res.body.error).toBe('case_exists');
    expect(res.body.message).toContain(`PUT /cases/${accession}`);
    expect(await outboxCount(accession)).toBe(1);
  });
});

describe('slide barcodes', () => {
  it('refuses a barcode that belongs to another active case, naming both, and frees it when that case is cancelled', async () => {
    const owner = newAccession();
    const other = newAccession();
    const shared = `${owner}-A1-1`;
    await http().post('/cases').send({ accessionNumber: owner, ...caseBody(owner) }).expect(201);
    const body = caseBody(other, { slides: [{ barcode: shared, specimenId: 'A' }, { barcode: `${other}-B1-1`, specimenId: 'B' }] });

    const post = await http().post('/cases').send({ accessionNumber: other, ...body }).expect(409);
    expect(post.body).toEqual({
      error: 'barcode_conflict',
      message: `slide barcode ${shared} already belongs to active case ${owner}`,
      conflicts: [{ barcode: shared, accessionNumber: owner }],
    });
    // (A PUT, the LIS's order, takes the slide from the active case instead: see slide-move.int-spec.ts.)
    await http().put(`/cases/${other}`).send(caseBody(other)).expect(201);

    await http().post(`/cases/${owner}/cancel`).send({ reason: 'slides relabelled to another accession' }).expect(200);
    const moved = await http().put(`/cases/${other}`).send(body).expect(200);
    expect(moved.body.version).toBe(2);
    expect(moved.body.slides.map((s: { barcode: string }) => s.barcode)).toContain(shared);
    // The cancelled case keeps its slides as they were when it was cancelled.
    expect((await http().get(`/cases/${owner}`).expect(200)).body.slides.map((s: { barcode: string }) => s.barcode)).toContain(shared);
    // While `other` is active, the owner's barcode is not available again to a third case.
    const third = newAccession();
    const refused = await http()
      .post('/cases')
      .send({ accessionNumber: third, ...caseBody(third, { slides: [{ barcode: shared, specimenId: 'A' }] }) })
      .expect(409);
    expect(refused.body.conflicts).toEqual([{ barcode: shared, accessionNumber: other }]);
  });
});

describe('concurrent writers', () => {
  it('gives concurrent updates of one case distinct versions, each published once', async () => {
    const accession = newAccession();
    await http().post('/cases').send({ accessionNumber: accession, ...caseBody(accession) }).expect(201);
    const units = [2, 3, 4, 5, 6];
    const results = await Promise.all(
      units.map((u) => http().put(`/cases/${accession}`).send(caseBody(accession, { specimens: [{ specimenId: 'A', primaryCpt: '88305', units: u }, { specimenId: 'B', primaryCpt: '88307', units: 1 }] }))),
    );
    expect(results.map((r) => r.status)).toEqual(units.map(() => 200));
    expect(results.map((r) => r.body.version).sort()).toEqual([2, 3, 4, 5, 6]);
    const events = await waitForEvents(accession, 6);
    expect(events.map((e) => e.data.version)).toEqual([1, 2, 3, 4, 5, 6]);
    const final = caseOfAnswer((await http().get(`/cases/${accession}`).expect(200)).body);
    expect(final.version).toBe(6);
    expect(final).toEqual(events[5]?.data);
  });

  it('lets exactly one of several concurrent creates of one accession number win', async () => {
    const accession = newAccession();
    const results = await Promise.all(Array.from({ length: 20 }, () => http().post('/cases').send({ accessionNumber: accession, ...caseBody(accession) })));
    expect(results.map((r) => r.status).sort()).toEqual([201, ...Array(19).fill(409)]);
    const posts = await Promise.all([1, 2, 3].map(() => http().post('/cases').send({ accessionNumber: newAccession(), ...caseBody(`${accession}-x`) })));
    // Three different cases with the same barcodes: one is created, the others are refused for the barcodes.
    expect(posts.map((r) => r.status).sort()).toEqual([201, 409, 409]);
    expect(posts.filter((r) => r.status === 409).every((r) => r.body.error === 'barcode_conflict')).toBe(true);
  });
});

describe('listing cases', () => {
  it('pages newest first with a cursor and filters by status', async () => {
    const mine = [newAccession(), newAccession(), newAccession()];
    for (const a of mine) await http().post('/cases').send({ accessionNumber: a, ...caseBody(a) }).expect(201);
    await http().post(`/cases/${mine[0]}/cancel`).send({ reason: 'duplicate order' }).expect(200);

    const seen: string[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 50 && seen.filter((a) => mine.includes(a)).length < 3; page++) {
      const res = await http()
        .get('/cases')
        .query({ limit: 2, ...(cursor ? { cursor } : {}) })
        .expect(200);
      expect(res.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.items.map((c: CaseSnapshot) => c.accessionNumber));
      cursor = res.body.nextCursor;
      if (!cursor) break;
    }
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.filter((a) => mine.includes(a))).toEqual([...mine].reverse());

    const cancelled = await http().get('/cases').query({ status: 'cancelled', limit: 200 }).expect(200);
    expect(cancelled.body.items.every((c: CaseSnapshot) => c.status === 'cancelled')).toBe(true);
    expect(cancelled.body.items.map((c: CaseSnapshot) => c.accessionNumber)).toContain(mine[0]);
    const active = await http().get('/cases').query({ status: 'active', limit: 200 }).expect(200);
    expect(active.body.items.map((c: CaseSnapshot) => c.accessionNumber)).not.toContain(mine[0]);
  });
});

describe('who may send and read cases', () => {
  it('takes cases from the LIS integration (role service) only: no token 401, a person 403, and nothing is stored', async () => {
    const accession = newAccession();
    const body = { accessionNumber: accession, ...caseBody(accession) };
    const anonymous = await request(harness.baseUrl).post('/cases').send(body).expect(401);
    expect(anonymous.body.error).toBe('unauthorized');
    await http('ops-viewer').post('/cases').send(body).expect(403);
    await http('billing-admin').post(`/cases/${accession}/cancel`).send({ reason: 'not mine to cancel' }).expect(403);
    await http('ops-viewer').get(`/cases/${accession}`).expect(404);
    await http('lis-integration').post('/cases').send(body).expect(201);
    await http('lis-integration').get('/hl7/messages').expect(403);
  });

  it('records who read or sent patient data in the access audit', async () => {
    const accession = newAccession();
    const correlationId = `audit-${randomUUID()}`;
    await http().post('/cases').set('x-correlation-id', correlationId).send({ accessionNumber: accession, ...caseBody(accession) }).expect(201);
    await http('ops-viewer').get(`/cases/${accession}`).set('x-correlation-id', correlationId).expect(200);
    const { rows } = await harness.pool.query(`SELECT username, client_id, roles, route, params, status, records FROM accession.access_audit WHERE correlation_id = $1 ORDER BY id`, [correlationId]);
    expect(rows).toEqual([
      { username: 'lis-integration', client_id: 'lis-integration', roles: ['service'], route: 'POST /cases', params: {}, status: 201, records: 1 },
      { username: 'ops-viewer', client_id: 'slidecharge-cli', roles: ['ops-viewer'], route: 'GET /cases/:accessionNumber', params: { accessionNumber: accession }, status: 200, records: 1 },
    ]);
  });
});

describe('operations', () => {
  it('is ready when Postgres, Kafka, the outbox relay, the identity provider and the MLLP listener are up', async () => {
    const res = await http().get('/health/ready').expect(200);
    expect(res.body.status).toBe('up');
    expect(res.body.checks.map((c: { name: string }) => c.name).sort()).toEqual(['consumers', 'identity-provider', 'kafka', 'mllp', 'outbox-relay', 'postgres']);
  });

  it('echoes the caller correlation id', async () => {
    const res = await http().get('/health/live').set('x-correlation-id', 'it-corr-1').expect(200);
    expect(res.headers['x-correlation-id']).toBe('it-corr-1');
  });

  it('documents every route in its OpenAPI document', async () => {
    const document = await createOpenApiDocument(harness.config);
    expect(Object.keys(document.paths).sort()).toEqual(
      ['/cases', '/cases/{accessionNumber}', '/cases/{accessionNumber}/cancel', '/cases/{accessionNumber}/slides/{barcode}/move', '/health/live', '/health/ready', '/metrics', '/hl7/messages', '/hl7/messages/{id}'].sort(),
    );
    expect(Object.keys(document.paths['/cases'] ?? {}).sort()).toEqual(['get', 'post']);
    expect(Object.keys(document.paths['/cases/{accessionNumber}'] ?? {}).sort()).toEqual(['get', 'put']);
    const post = document.paths['/cases']?.post;
    expect(JSON.stringify(post?.requestBody)).toContain('primaryCpt');
    for (const field of ['flags', 'researchStudy', 'reducedService', 'modifiers', 'diagnosisPointers']) {
      expect(JSON.stringify(post?.requestBody)).toContain(field);
      expect(JSON.stringify(document.paths['/cases/{accessionNumber}']?.put?.requestBody)).toContain(field);
      expect(JSON.stringify(document.paths['/cases/{accessionNumber}']?.get?.responses['200'])).toContain(field);
    }
    expect(Object.keys(post?.responses ?? {}).sort()).toEqual(['201', '400', '401', '403', '409', '413', '429']);
  });

  it('matches the committed docs/openapi/accession.json (regenerate it with npm run docs:api when the API changes)', async () => {
    const document = await createOpenApiDocument(harness.config);
    const committed: unknown = JSON.parse(readFileSync(join(__dirname, '../../../docs/openapi/accession.json'), 'utf8'));
    expect(JSON.parse(JSON.stringify(document))).toEqual(committed);
  });
});
