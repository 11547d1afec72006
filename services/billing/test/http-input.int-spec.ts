import { randomUUID } from 'node:crypto';
import { OutgoingMessage } from '@slidecharge/messaging';
import { eventually, identityEnv, nestedArrays } from '@slidecharge/testing';
import { chargeIdFor } from '../src/charge/charge-id';
import { barcodeOf, caseEvent, isChargeOf, newAccession, passingScans, snapshot } from './support';
import { useBillingHarness } from './harness';

/**
 * Bad HTTP input on billing (issue #7), in-process as production builds it, on the real Postgres and
 * Kafka: a policy set nested 5,000 deep, a NUL in a release's actor, a forged Host. Links come from
 * PUBLIC_BASE_URL (here an https address behind a proxy, so HSTS is on), never from the Host header.
 */
const PUBLIC_BASE_URL = 'https://billing.lab.example/slidecharge';
const harness = useBillingHarness({
  name: 'billing-http-input-it',
  readTopics: ['billing.charges.v1'],
  isolatedEnv: true,
  env: { SLIDECHARGE_ENV: 'development', ...identityEnv(), PUBLIC_BASE_URL },
  defaultCaller: 'billing-admin',
});

/** Every request of this file is signed in with the identity provider (policy sets: a billing admin). */
const api = harness.http;

async function chargeStatus(chargeId: string): Promise<string | undefined> {
  const { rows } = await harness.pool.query('SELECT status FROM billing.charge WHERE charge_id = $1', [chargeId]);
  return rows[0]?.status as string | undefined;
}

/** A Medicare case with one 88305 slide scanned and passed: its 0753T charge is held for review. */
async function heldCharge(): Promise<{ accession: string; chargeId: string }> {
  const accession = newAccession('HIT');
  const data = snapshot(accession, [{ id: 'A', cpt: '88305', slides: 1 }], { payer: { payerId: 'MEDICARE', name: 'Medicare Part B' } });
  const events: OutgoingMessage[] = [caseEvent(data), ...passingScans([barcodeOf(accession, 'A', 1)])];
  await harness.bus.publish(events);
  const chargeId = chargeIdFor(`${accession}/A/0753T`);
  await eventually(async () => ((await chargeStatus(chargeId)) === 'held' ? true : undefined), 30_000, `charge of ${accession} to be held`);
  return { accession, chargeId };
}

describe('bad input to the billing staff API', () => {
  it('POST /policy-sets nested 5,000 deep: 400 json_too_deep naming the limit; no policy set stored', async () => {
    const before = (await api().get('/policy-sets').expect(200)).body;
    const deep = `{"policySet":{"version":"2099.${randomUUID().slice(0, 4)}","payers":${nestedArrays(5000)}},"createdBy":"it","comment":"deep"}`;
    const res = await api().post('/policy-sets').set('content-type', 'application/json').send(deep).expect(400);
    expect(res.body).toEqual({
      error: 'json_too_deep',
      // Two objects, then 30 arrays reach 32 levels: the 31st array is one too many.
      message: `the JSON body is nested deeper than 32 levels of arrays and objects (HTTP_JSON_MAX_DEPTH); the bracket at byte ${deep.indexOf('[') + 30} is one too many`,
    });
    expect((await api().get('/policy-sets').expect(200)).body).toEqual(before);
  });

  it('a release whose text holds a NUL: 400 invalid_text naming the field; the charge stays held; the same release cleaned goes out', async () => {
    const { accession, chargeId } = await heldCharge();
    const res = await api('billing-reviewer')
      .post(`/charges/${chargeId}/release`)
      .send({ justification: 'medical\u0000 necessity documented in the sign-out note' })
      .expect(400);
    expect(res.body).toEqual({
      error: 'invalid_text',
      message: 'body.justification contains U+0000 (NUL) at index 7',
      issues: [{ path: 'justification', message: 'contains U+0000 (NUL) at index 7' }],
    });
    expect(await chargeStatus(chargeId)).toBe('held');

    const released = await api('billing-reviewer').post(`/charges/${chargeId}/release`).send({ justification: 'medical necessity documented in the sign-out note' }).expect(200);
    expect(released.body).toMatchObject({ status: 'posted', release: { by: expect.stringMatching(/^reviewer \(sub /) } });
    await harness.reader.waitFor(isChargeOf(accession), (list) => list.length >= 1);
  });
});

describe('Host and links', () => {
  it('a forged Host gets 421 host_not_allowed in JSON, whatever the route; probes with an IP Host are answered', async () => {
    const forged = await api('billing-system').get('/fhir/ChargeItem?_count=1').set('host', 'evil.example').expect(421);
    expect(forged.body).toEqual({ error: 'host_not_allowed', message: expect.stringContaining('"evil.example"') });
    expect(forged.headers['content-type']).toMatch(/^application\/json/);
    await api().post('/policy-sets').set('host', 'evil.example:3004').send({}).expect(421);
    await api().get('/health/live').set('host', '10.244.1.17:3004').expect(200);
    await api().get('/metrics').set('host', '10.244.1.17:3004').expect(200);
  });

  it('FHIR Bundle links and fullUrls start with PUBLIC_BASE_URL, whatever Host or X-Forwarded-* the request carries', async () => {
    const { accession, chargeId } = await heldCharge();
    const res = await api('billing-system')
      .get(`/fhir/ChargeItem?accession=${accession}&_count=1`)
      .set('host', 'billing.lab.example')
      .set('x-forwarded-host', 'evil.example')
      .set('x-forwarded-proto', 'http')
      .expect(200);
    expect(res.body.link).toEqual([{ relation: 'self', url: `${PUBLIC_BASE_URL}/fhir/ChargeItem?accession=${accession}&_count=1` }]);
    expect(res.body.entry.map((e: { fullUrl: string }) => e.fullUrl)).toEqual([`${PUBLIC_BASE_URL}/fhir/ChargeItem/${chargeId}`]);
    expect(res.headers['strict-transport-security']).toBe('max-age=31536000');
  });
});
