import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { CaseEvent, CaseSnapshot, validateTopicMessage } from '@slidecharge/contracts';
import { ReadMessage } from '@slidecharge/testing';
import { CASE_TOPIC, caseOfAnswer, useAccessionHarness } from './harness';

/**
 * Moving a slide between cases (issue #8) against the real Postgres, Kafka and identity provider:
 * the move route and an order (PUT) that lists a slide of another active case. Each move must change
 * both cases in one transaction and publish both case events.
 */
const harness = useAccessionHarness();
const { http } = harness;

const run = randomUUID().slice(0, 8).toUpperCase();
let counter = 0;
const newAccession = () => `MV${run}-${++counter}`;

function caseBody(accessionNumber: string, over: Record<string, unknown> = {}) {
  return {
    patientId: `MRN-${accessionNumber}`,
    payer: { payerId: 'MEDICARE' },
    collectionDate: '2026-11-20',
    diagnoses: ['C50.911'],
    specimens: [
      { specimenId: 'A', primaryCpt: '88305', units: 1 },
      { specimenId: 'B', primaryCpt: '88305', units: 1 },
    ],
    slides: [
      { barcode: `${accessionNumber}-A1-1`, specimenId: 'A', block: 'A1', stain: 'H&E' },
      { barcode: `${accessionNumber}-B1-1`, specimenId: 'B' },
    ],
    ...over,
  };
}

const barcodesOf = (c: CaseSnapshot) => c.slides.map((s) => s.barcode);
const eventsOf = (accessionNumber: string) => (m: ReadMessage) => m.topic === CASE_TOPIC && m.key === accessionNumber;
const waitForEvents = async (accessionNumber: string, count: number) =>
  (await harness.reader.waitFor(eventsOf(accessionNumber), (list) => list.length >= count)).map((m) => m.value as CaseEvent);

interface OutboxRow {
  key: string;
  version: number;
  type: string;
  seq: string;
  created_at: Date;
}
async function outboxOf(...accessionNumbers: string[]): Promise<OutboxRow[]> {
  const { rows } = await harness.pool.query(
    `SELECT key, (payload->'data'->>'version')::int AS version, payload->>'type' AS type, seq::text, created_at
       FROM accession.outbox o WHERE key = ANY($1) ORDER BY o.seq`,
    [accessionNumbers],
  );
  return rows as OutboxRow[];
}
async function movesOf(barcode: string) {
  const { rows } = await harness.pool.query(
    `SELECT from_accession_number, from_specimen_id, from_version, to_accession_number, to_specimen_id, to_version, via, reason, actor
       FROM accession.slide_move WHERE barcode = $1 ORDER BY id`,
    [barcode],
  );
  return rows;
}

describe('POST /cases/:accessionNumber/slides/:barcode/move', () => {
  const from = newAccession();
  const to = newAccession();
  const slide = `${from}-A1-1`;

  beforeAll(async () => {
    await http().post('/cases').send({ accessionNumber: from, ...caseBody(from) }).expect(201);
    await http().post('/cases').send({ accessionNumber: to, ...caseBody(to) }).expect(201);
  });

  it('moves the slide in one transaction: both cases at version 2, both case.updated events written together and published', async () => {
    const res = await http()
      .post(`/cases/${from}/slides/${encodeURIComponent(slide)}/move`)
      .send({ toAccessionNumber: to, toSpecimenId: 'B', reason: 'label printed on the wrong case' })
      .expect(200);
    expect(res.body.moved).toBe(true);
    expect(res.body.from).toMatchObject({ accessionNumber: from, version: 2 });
    expect(barcodesOf(res.body.from)).toEqual([`${from}-B1-1`]);
    expect(res.body.to).toMatchObject({ accessionNumber: to, version: 2 });
    expect(res.body.to.slides).toContainEqual({ barcode: slide, specimenId: 'B', block: 'A1', stain: 'H&E' });
    expect(caseOfAnswer((await http().get(`/cases/${from}`).expect(200)).body)).toEqual(res.body.from);
    expect(caseOfAnswer((await http().get(`/cases/${to}`).expect(200)).body)).toEqual(res.body.to);

    const [fromEvents, toEvents] = await Promise.all([waitForEvents(from, 2), waitForEvents(to, 2)]);
    expect(fromEvents[1]).toMatchObject({ type: 'case.updated', data: res.body.from });
    expect(toEvents[1]).toMatchObject({ type: 'case.updated', data: res.body.to });
    expect(validateTopicMessage(CASE_TOPIC, fromEvents[1]).ok).toBe(true);
    expect(validateTopicMessage(CASE_TOPIC, toEvents[1]).ok).toBe(true);

    // One transaction: the two outbox records follow each other (gaining case first) with the same transaction time.
    const outbox = (await outboxOf(from, to)).filter((r) => r.version === 2);
    expect(outbox.map((r) => [r.key, r.type])).toEqual([
      [to, 'case.updated'],
      [from, 'case.updated'],
    ]);
    expect(BigInt(outbox[1]?.seq ?? 0) - BigInt(outbox[0]?.seq ?? 0)).toBe(1n);
    expect(outbox[0]?.created_at.getTime()).toBe(outbox[1]?.created_at.getTime());

    const moves = await movesOf(slide);
    expect(moves).toEqual([
      {
        from_accession_number: from,
        from_specimen_id: 'A',
        from_version: 2,
        to_accession_number: to,
        to_specimen_id: 'B',
        to_version: 2,
        via: 'move',
        reason: 'label printed on the wrong case',
        actor: expect.stringContaining('lis-integration'),
      },
    ]);
  });

  it('answers a repeated move with moved: false and publishes nothing', async () => {
    const res = await http().post(`/cases/${from}/slides/${encodeURIComponent(slide)}/move`).send({ toAccessionNumber: to, toSpecimenId: 'B', reason: 'retry' }).expect(200);
    expect(res.body).toMatchObject({ moved: false, from: { version: 2 }, to: { version: 2 } });
    expect(await outboxOf(from, to)).toHaveLength(4);
    expect(await movesOf(slide)).toHaveLength(1);
  });

  it('refuses what it cannot do and changes nothing: 400, 404, 409 with the reason', async () => {
    const other = `${to}-B1-1`;
    const move = (accession: string, barcode: string, body: Record<string, unknown>) => http().post(`/cases/${accession}/slides/${encodeURIComponent(barcode)}/move`).send(body);
    const valid = { toAccessionNumber: from, toSpecimenId: 'A', reason: 'wrong label' };

    expect((await move(to, other, { ...valid, toAccessionNumber: to }).expect(400)).body.error).toBe('same_case');
    const noReason = await move(to, other, { toAccessionNumber: from, toSpecimenId: 'A' }).expect(400);
    expect(noReason.body.issues.map((i: { path: string }) => i.path)).toEqual(['reason']);
    const actorInBody = await move(to, other, { ...valid, actor: 'someone' }).expect(400);
    expect(actorInBody.body.issues[0].message).toContain('sign-in');

    expect((await move(newAccession(), other, valid).expect(404)).body.error).toBe('case_not_found');
    expect((await move(to, other, { ...valid, toAccessionNumber: newAccession() }).expect(404)).body.error).toBe('case_not_found');
    const missing = await move(to, `${from}-B1-1`, valid).expect(404);
    expect(missing.body).toEqual({ error: 'slide_not_found', message: `case ${to} has no slide ${from}-B1-1` });
    const unknownSpecimen = await move(to, other, { ...valid, toSpecimenId: 'Z' }).expect(409);
    expect(unknownSpecimen.body.error).toBe('unknown_specimen');
    expect(unknownSpecimen.body.message).toContain(`PUT /cases/${from}`);

    const gone = newAccession();
    await http().post('/cases').send({ accessionNumber: gone, ...caseBody(gone) }).expect(201);
    await http().post(`/cases/${gone}/cancel`).send({ reason: 'wrong patient' }).expect(200);
    expect((await move(to, other, { ...valid, toAccessionNumber: gone }).expect(409)).body.error).toBe('case_cancelled');
    expect((await move(gone, `${gone}-A1-1`, valid).expect(409)).body.error).toBe('case_cancelled');

    // Only case writers may move slides.
    await request(harness.baseUrl).post(`/cases/${to}/slides/${encodeURIComponent(other)}/move`).send(valid).expect(401);
    await http('ops-viewer').post(`/cases/${to}/slides/${encodeURIComponent(other)}/move`).send(valid).expect(403);

    expect((await http().get(`/cases/${to}`).expect(200)).body.version).toBe(2);
    expect((await http().get(`/cases/${from}`).expect(200)).body.version).toBe(2);
    expect(await movesOf(other)).toEqual([]);
  });
});

describe('an order (PUT /cases) that lists a slide of another active case', () => {
  it('moves the slide: the owner loses it (version + 1, case.updated), the ordered case gains it, in one transaction', async () => {
    const owner = newAccession();
    const taker = newAccession();
    const slide = `${owner}-B1-1`;
    await http().post('/cases').send({ accessionNumber: owner, ...caseBody(owner) }).expect(201);
    const body = caseBody(taker, { slides: [{ barcode: slide, specimenId: 'A' }, { barcode: `${taker}-A1-1`, specimenId: 'A' }] });

    // POST stays strict: a new case may not take another case's slide.
    const post = await http().post('/cases').send({ accessionNumber: taker, ...body }).expect(409);
    expect(post.body.conflicts).toEqual([{ barcode: slide, accessionNumber: owner }]);

    const put = await http().put(`/cases/${taker}`).send(body).expect(201);
    expect(put.body).toMatchObject({ version: 1 });
    expect(put.body.slides).toContainEqual({ barcode: slide, specimenId: 'A' });
    const ownerNow = caseOfAnswer((await http().get(`/cases/${owner}`).expect(200)).body);
    expect(ownerNow.version).toBe(2);
    expect(barcodesOf(ownerNow)).toEqual([`${owner}-A1-1`]);

    const [ownerEvents, takerEvents] = await Promise.all([waitForEvents(owner, 2), waitForEvents(taker, 1)]);
    expect(ownerEvents[1]).toMatchObject({ type: 'case.updated', data: ownerNow });
    expect(takerEvents[0]).toMatchObject({ type: 'case.created', data: put.body });
    const outbox = await outboxOf(owner, taker);
    expect(outbox.map((r) => [r.key, r.type, r.version])).toEqual([
      [owner, 'case.created', 1],
      [taker, 'case.created', 1],
      [owner, 'case.updated', 2],
    ]);
    expect(outbox[1]?.created_at.getTime()).toBe(outbox[2]?.created_at.getTime());
    expect(await movesOf(slide)).toEqual([
      {
        from_accession_number: owner,
        from_specimen_id: 'B',
        from_version: 2,
        to_accession_number: taker,
        to_specimen_id: 'A',
        to_version: 1,
        via: 'order',
        reason: `the order for case ${taker} lists the slide`,
        actor: expect.stringContaining('lis-integration'),
      },
    ]);

    // The same order again changes nothing (the slide is the taker's now).
    expect((await http().put(`/cases/${taker}`).send(body).expect(200)).body.version).toBe(1);
    expect(await outboxOf(owner, taker)).toHaveLength(3);
  });

  it('takes a slide of a cancelled case without changing that case (its barcodes are free)', async () => {
    const owner = newAccession();
    const taker = newAccession();
    await http().post('/cases').send({ accessionNumber: owner, ...caseBody(owner) }).expect(201);
    await http().post(`/cases/${owner}/cancel`).send({ reason: 'wrong patient' }).expect(200);
    await http().put(`/cases/${taker}`).send(caseBody(taker, { slides: [{ barcode: `${owner}-A1-1`, specimenId: 'A' }] })).expect(201);
    expect((await http().get(`/cases/${owner}`).expect(200)).body).toMatchObject({ status: 'cancelled', version: 2 });
    expect(await movesOf(`${owner}-A1-1`)).toEqual([]);
  });

  it('refuses an order listing one barcode twice or a slide of a specimen it does not have (400), moving nothing', async () => {
    const owner = newAccession();
    const taker = newAccession();
    const slide = `${owner}-A1-1`;
    await http().post('/cases').send({ accessionNumber: owner, ...caseBody(owner) }).expect(201);
    const twice = await http()
      .put(`/cases/${taker}`)
      .send(caseBody(taker, { slides: [{ barcode: slide, specimenId: 'A' }, { barcode: slide, specimenId: 'B' }] }))
      .expect(400);
    expect(twice.body.issues.map((i: { path: string }) => i.path)).toEqual(['slides.1.barcode']);
    const unknown = await http().put(`/cases/${taker}`).send(caseBody(taker, { slides: [{ barcode: slide, specimenId: 'Z' }] })).expect(400);
    expect(unknown.body.issues.map((i: { path: string }) => i.path)).toEqual(['slides.0.specimenId']);
    expect((await http().get(`/cases/${owner}`).expect(200)).body.version).toBe(1);
    expect(await movesOf(slide)).toEqual([]);
  });

  it('refuses an order for a cancelled case (409) and leaves the owner its slide', async () => {
    const owner = newAccession();
    const taker = newAccession();
    await http().post('/cases').send({ accessionNumber: owner, ...caseBody(owner) }).expect(201);
    await http().post('/cases').send({ accessionNumber: taker, ...caseBody(taker) }).expect(201);
    await http().post(`/cases/${taker}/cancel`).send({ reason: 'duplicate' }).expect(200);
    const res = await http().put(`/cases/${taker}`).send(caseBody(taker, { slides: [{ barcode: `${owner}-A1-1`, specimenId: 'A' }] })).expect(409);
    expect(res.body.error).toBe('case_cancelled');
    expect((await http().get(`/cases/${owner}`).expect(200)).body.version).toBe(1);
  });
});

describe('concurrent moves', () => {
  it('two orders taking each other\'s slide at the same moment both succeed (a deadlock between them is retried), each slide moved once', async () => {
    const a = newAccession();
    const b = newAccession();
    await http().post('/cases').send({ accessionNumber: a, ...caseBody(a) }).expect(201);
    await http().post('/cases').send({ accessionNumber: b, ...caseBody(b) }).expect(201);
    // a takes b's B1-1, b takes a's B1-1, each keeping its own A1-1.
    const order = (self: string, other: string) =>
      caseBody(self, { slides: [{ barcode: `${self}-A1-1`, specimenId: 'A' }, { barcode: `${other}-B1-1`, specimenId: 'B' }] });
    const results = await Promise.all(
      Array.from({ length: 4 }, (_, i) => (i % 2 === 0 ? http().put(`/cases/${a}`).send(order(a, b)) : http().put(`/cases/${b}`).send(order(b, a)))),
    );
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    const [finalA, finalB] = [caseOfAnswer((await http().get(`/cases/${a}`).expect(200)).body), caseOfAnswer((await http().get(`/cases/${b}`).expect(200)).body)];
    // Every barcode is on exactly one of the two cases.
    const all = [...barcodesOf(finalA), ...barcodesOf(finalB)].sort();
    expect(all).toEqual([`${a}-A1-1`, `${a}-B1-1`, `${b}-A1-1`, `${b}-B1-1`].sort());
    const { rows } = await harness.pool.query('SELECT barcode, count(*)::int AS n FROM accession.slide WHERE case_active AND barcode = ANY($1) GROUP BY barcode', [all]);
    expect(rows.every((r: { n: number }) => r.n === 1)).toBe(true);
    // Each published version is the stored case at that version, and the last one is what GET shows.
    const [eventsA, eventsB] = await Promise.all([waitForEvents(a, finalA.version), waitForEvents(b, finalB.version)]);
    expect(eventsA.map((e) => e.data.version)).toEqual(Array.from({ length: finalA.version }, (_, i) => i + 1));
    expect(eventsB.map((e) => e.data.version)).toEqual(Array.from({ length: finalB.version }, (_, i) => i + 1));
    expect(eventsA[finalA.version - 1]?.data).toEqual(finalA);
    expect(eventsB[finalB.version - 1]?.data).toEqual(finalB);
  });

  it('two opposite REST moves at the same moment lock both cases in one order: both succeed', async () => {
    const a = newAccession();
    const b = newAccession();
    await http().post('/cases').send({ accessionNumber: a, ...caseBody(a) }).expect(201);
    await http().post('/cases').send({ accessionNumber: b, ...caseBody(b) }).expect(201);
    const move = (from: string, to: string) =>
      http().post(`/cases/${from}/slides/${encodeURIComponent(`${from}-B1-1`)}/move`).send({ toAccessionNumber: to, toSpecimenId: 'A', reason: 'crossed labels' });
    const [ab, ba] = await Promise.all([move(a, b), move(b, a)]);
    expect([ab.status, ba.status]).toEqual([200, 200]);
    const finalA = caseOfAnswer((await http().get(`/cases/${a}`).expect(200)).body);
    const finalB = caseOfAnswer((await http().get(`/cases/${b}`).expect(200)).body);
    expect(finalA.version).toBe(3);
    expect(finalB.version).toBe(3);
    expect(barcodesOf(finalA).sort()).toEqual([`${a}-A1-1`, `${b}-B1-1`].sort());
    expect(barcodesOf(finalB).sort()).toEqual([`${b}-A1-1`, `${a}-B1-1`].sort());
  });
});
