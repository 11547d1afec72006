import { randomUUID } from 'node:crypto';
import { DeadLetterDetail, DeadLetterPage, DeadLetterReplayResult } from '@slidecharge/contracts';
import { eventually } from '@slidecharge/testing';
import { useBillingHarness } from './harness';
import { caseEvent, isChargeOf, newAccession, passingScans, snapshot } from './support';

/**
 * Dead letters through billing's HTTP API, in-process against the real Postgres, Kafka and identity
 * provider. The fault: a constraint deployed by mistake on billing.charge refuses the charge of one
 * case, so the QC verdict that would post it fails on every attempt and is dead-lettered
 * (processing-failed). The fix: the constraint is dropped. Then an interface analyst replays it.
 */
// Registered before the harness's own hooks, so it runs while billing's pool is still open.
afterAll(async () => {
  await fix();
});
const harness = useBillingHarness({ name: 'billing-dead-letters', readTopics: ['billing.charges.v1'] });
const signedIn = (user: string) => expect.stringMatching(new RegExp(`^${user} \\(sub [0-9a-f-]{36}\\)$`));

const acc = newAccession('BDL');
const constraint = `test_fault_${randomUUID().slice(0, 8)}`;
let deadLetterId: string;

const fault = () => harness.pool.query(`ALTER TABLE billing.charge ADD CONSTRAINT ${constraint} CHECK (accession_number <> '${acc}') NOT VALID`);
const fix = () => harness.pool.query(`ALTER TABLE billing.charge DROP CONSTRAINT IF EXISTS ${constraint}`);
const chargeRows = async () => (await harness.pool.query(`SELECT charge_id FROM billing.charge WHERE accession_number = $1`, [acc])).rows;

describe('a message billing could not take, replayed after the fix', () => {
  it('is dead-lettered as processing-failed while the fault lasts', async () => {
    await fault();
    const data = snapshot(acc, [{ id: 'A', cpt: '88305', slides: 1 }]);
    const barcode = data.slides[0]?.barcode as string;
    await harness.send([caseEvent(data)]);
    await harness.bus.publish(passingScans([barcode]));
    deadLetterId = await eventually(async () => {
      const { rows } = await harness.pool.query(`SELECT id::text AS id FROM billing.dead_letter WHERE consumer_group = $1 AND key = $2`, [harness.groupId, barcode]);
      return rows[0]?.id as string | undefined;
    }, 60_000, `the dead letter of ${barcode}`);
    expect(await chargeRows()).toEqual([]);
  }, 90_000);

  it('is listed for an ops viewer (no body), who may neither read the original nor replay it', async () => {
    const page = (await harness.http('ops-viewer').get('/dead-letters?state=open&reason=processing-failed&limit=500').expect(200)).body as DeadLetterPage;
    const listed = page.items.find((d) => d.id === deadLetterId);
    expect(listed).toMatchObject({ consumerGroup: harness.groupId, reason: 'processing-failed', state: 'open', replays: [] });
    expect(listed?.message).toContain('gave up after');
    expect(JSON.stringify(page)).not.toContain(`MRN-${acc}`);
    expect(page.total).toBeGreaterThanOrEqual(1);
    await harness.http('ops-viewer').get(`/dead-letters/${deadLetterId}`).expect(403);
    await harness.http('ops-viewer').post(`/dead-letters/${deadLetterId}/replay`).send({ justification: 'trying' }).expect(403);
    await harness.http('billing-reviewer').get('/dead-letters').expect(403);
  });

  it('shows the original to an interface analyst, access-audited', async () => {
    const detail = (await harness.http('integration-admin').get(`/dead-letters/${deadLetterId}`).expect(200)).body as DeadLetterDetail;
    expect(detail.original.valueEncoding).toBe('utf8');
    expect(detail.original.value).toContain(acc);
    expect(detail.original.key?.startsWith(acc)).toBe(true);
    expect(detail.original).toMatchObject({ sizeBytes: Buffer.byteLength(detail.original.value ?? ''), sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const { rows } = await harness.pool.query(`SELECT username, route, status FROM billing.access_audit WHERE route = 'GET /dead-letters/:id' AND params->>'id' = $1`, [deadLetterId]);
    expect(rows).toEqual([{ username: 'integration-admin', route: 'GET /dead-letters/:id', status: 200 }]);
  });

  it('refuses a bad body naming the field, and an unknown id with 404', async () => {
    const bad = await harness.http('integration-admin').post(`/dead-letters/${deadLetterId}/replay`).send({}).expect(400);
    expect(bad.body.issues.map((i: { path: string }) => i.path)).toEqual(['justification']);
    await harness.http('integration-admin').post(`/dead-letters/${deadLetterId}/replay`).send({ justification: 'ok' }).expect(400);
    await harness.http('integration-admin').post(`/dead-letters/${randomUUID()}/replay`).send({ justification: 'the fault is fixed' }).expect(404);
    await harness.http('integration-admin').get(`/dead-letters/${randomUUID()}`).expect(404);
    await harness.http('integration-admin').get('/dead-letters?state=closed').expect(400);
  });

  it('fails again before the fix, recorded and still open', async () => {
    const answer = (await harness.http('integration-admin').post(`/dead-letters/${deadLetterId}/replay`).send({ justification: 'retry before the fix' }).expect(200))
      .body as DeadLetterReplayResult;
    expect(answer).toMatchObject({ outcome: 'failed-again', alreadyReplayed: false, deadLetter: { state: 'replay-failed' } });
    expect(answer.error).toEqual(expect.any(String));
    expect(answer.error).not.toContain(`MRN-${acc}`);
    expect(await chargeRows()).toEqual([]);
    const open = (await harness.http('ops-viewer').get('/dead-letters?state=open&limit=500').expect(200)).body as DeadLetterPage;
    expect(open.items.map((d) => d.id)).toContain(deadLetterId);
  });

  it('after the fix, an interface analyst replays it: the charge is made once, and the replay names the actor and why', async () => {
    await fix();
    const answer = (await harness.http('integration-admin').post(`/dead-letters/${deadLetterId}/replay`).send({ justification: 'faulty constraint dropped' }).expect(200))
      .body as DeadLetterReplayResult;
    expect(answer).toMatchObject({ outcome: 'consumed', alreadyReplayed: false, deadLetter: { id: deadLetterId, state: 'replayed' } });
    expect(answer.deadLetter.replays).toEqual([
      { at: expect.any(String), by: signedIn('integration-admin'), justification: 'retry before the fix', outcome: 'failed-again', error: expect.any(String) },
      { at: expect.any(String), by: signedIn('integration-admin'), justification: 'faulty constraint dropped', outcome: 'consumed' },
    ]);
    expect(await chargeRows()).toHaveLength(1);
    const [posted] = await harness.reader.waitFor(isChargeOf(acc), (list) => list.length >= 1);
    expect(posted).toBeDefined();

    const again = (await harness.http('billing-admin').post(`/dead-letters/${deadLetterId}/replay`).send({ justification: 'once more' }).expect(200)).body as DeadLetterReplayResult;
    expect(again).toMatchObject({ outcome: 'consumed', alreadyReplayed: true });
    expect(again.deadLetter.replays).toHaveLength(2);
    await harness.settled(acc);
    expect(await chargeRows()).toHaveLength(1);
    const { rows } = await harness.pool.query(`SELECT "by", justification, outcome FROM billing.dead_letter_replay WHERE dead_letter_id = $1 ORDER BY at`, [deadLetterId]);
    expect(rows).toEqual([
      { by: signedIn('integration-admin'), justification: 'retry before the fix', outcome: 'failed-again' },
      { by: signedIn('integration-admin'), justification: 'faulty constraint dropped', outcome: 'consumed' },
    ]);
    const replayed = (await harness.http('ops-viewer').get('/dead-letters?state=replayed&limit=500').expect(200)).body as DeadLetterPage;
    expect(replayed.items.map((d) => d.id)).toContain(deadLetterId);
  });
});
