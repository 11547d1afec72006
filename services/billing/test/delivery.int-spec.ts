import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { Hl7Message } from '@medplum/core';
import { Hl7Connection, Hl7MessageEvent, Hl7Server } from '@medplum/hl7';
import { INestApplication } from '@nestjs/common';
import { Pool } from 'pg';
import type { CaseSnapshot } from '@slidecharge/contracts';
import { buildAck, parseMessage, readValue, validateV251 } from '@slidecharge/hl7';
import { IncomingMessage, incomingOf, OutgoingMessage } from '@slidecharge/messaging';
import { createServiceApp, ServiceRuntime } from '@slidecharge/service-kit';
import { asCaller, eventually, serviceDatabaseUrl, TestCaller, testEnv } from '@slidecharge/testing';
import { AppModule } from '../src/app.module';
import { chargeIdFor, chargeIdForGeneration, creditIdFor } from '../src/charge/charge-id';
import { BillingTopic, ChargingService } from '../src/charging/charging.service';
import { BILLING_CONFIG, BillingConfig, loadServiceConfig } from '../src/config';
import { deliveryIdFor, messageControlIdFor } from '../src/delivery/delivery-policy';
import { ClaimedDelivery, DeliveryRepository } from '../src/delivery/delivery.repository';
import { DeliverySenderRepository } from '../src/delivery/delivery-sender.repository';
import { DeliveryWorker } from '../src/delivery/delivery.worker';
import { SENDER_LOCK_CLASS, SenderLock } from '../src/delivery/sender-lock';
import { BILLING_SERVICE } from '../src/openapi';
import { barcodeOf, caseEvent, COLLECTED, deleteGroup, INPUT_TOPICS, newAccession, passingScans, snapshot as caseSnapshot, SpecimenSpec, startGroupAtEnd } from './support';

/** What a DFT^P03 needs of the case besides the charge: the patient's name (PID-5, required), the plan (IN1-2, required), the ordering NPI (FT1-21). */
const DFT_CASE_FIELDS = {
  patient: { familyName: 'DOE', givenName: 'JANE', birthDate: '1961-07-04', administrativeSex: 'F', identifierAuthority: 'UNIVHOSP' },
  payer: { payerId: 'AETNA', name: 'Aetna', plan: 'AETNA-PPO' },
  orderingProvider: '1548302744 WELBY, MARCUS',
  orderingProviderNpi: '1548302744',
} satisfies Partial<CaseSnapshot>;
/** A patient id that fits PID-3.1 (CX.1, 15 characters in v2.5.1), unique per accession. */
const patientIdOf = (accession: string) => `M${accession.replace(/[^A-Z0-9]/g, '').slice(-13)}`;
const snapshot = (accession: string, specimens: SpecimenSpec[], over: Partial<CaseSnapshot> = {}) =>
  caseSnapshot(accession, specimens, { ...DFT_CASE_FIELDS, patientId: patientIdOf(accession), ...over });

/**
 * DFT^P03 delivery over REAL MLLP on loopback: the billing service in-process (real Postgres and
 * Kafka) sends to a test billing system (@medplum/hl7's Hl7Server) that answers as each test scripts.
 *
 * Events are handed to ChargingService.handle (the consumer's own handler) rather than published:
 * billing records consumed events under one name whatever the consumer group, so another billing
 * instance running at the same time (another test file, with delivery off) could take a published
 * event first and post the charge without queuing its delivery. Handled here, every charge of these
 * tests is posted by this app.
 */

type Answer = 'AA' | 'AE' | 'AR' | 'none';

interface Received {
  controlId: string;
  /** FT1-6: CG or CD */
  type: string;
  /** FT1-2: this charge's or credit's own transaction id */
  transactionId: string;
  /** PR1-19.1: the FT1-2 of the charge line (a credit: the charge it reverses) */
  chargeTransactionId: string;
  /** PR1-20: A (charge) or D (credit) */
  action: string;
  /** The chargeId (UUID) in NTE-3 */
  chargeId: string;
  /** What the v2.5.1 check says of the message ([] = passes) */
  issues: string[];
  accession: string;
  code: string;
  units: string;
  dateOfService: string;
  patientId: string;
  modifiers: string[];
  receivingApplication: string;
  receivingFacility: string;
  text: string;
  answered: Answer;
}

/** A billing system for the tests: records every DFT^P03 and answers as scripted per accession and FT1-6 (default AA). */
class TestBillingSystem {
  readonly received: Received[] = [];
  private readonly scripts = new Map<string, Answer[]>();
  private server: Hl7Server | undefined;
  port = 0;
  /** Wait this long before answering (an ACK in flight). */
  delayMs = 0;
  /** Messages received and not yet answered, now and at most; the connections they came on. */
  private inFlight = 0;
  maxInFlight = 0;
  readonly connections = new Set<Hl7Connection>();

  async start(port = 0): Promise<void> {
    this.server = new Hl7Server((connection) => {
      connection.addEventListener('message', (event: Hl7MessageEvent) => void this.answer(connection, event.message));
    });
    this.server.start(port);
    const net = this.server.server;
    if (!net) throw new Error('Hl7Server did not create a server');
    if (!net.listening) await once(net, 'listening');
    this.port = (net.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    await this.server?.stop({ forceDrainTimeoutMs: 0 });
    this.server = undefined;
  }

  /** The next answers to the accession's charge (CG) or credit (CD) messages, in order; then AA. */
  script(accession: string, type: 'CG' | 'CD', answers: Answer[]): void {
    this.scripts.set(`${accession}/${type}`, [...answers]);
  }

  of(accession: string): Received[] {
    return this.received.filter((r) => r.accession === accession);
  }

  private async answer(connection: Hl7Connection, message: Hl7Message): Promise<void> {
    const text = message.toString();
    const parsed = parseMessage(text);
    if (!parsed.ok) throw new Error(parsed.reason);
    const msh = parsed.message.getSegment('MSH');
    const ft1 = parsed.message.getSegment('FT1');
    const accession = readValue(ft1, 23);
    const type = readValue(ft1, 6);
    const answered = this.scripts.get(`${accession}/${type}`)?.shift() ?? 'AA';
    this.connections.add(connection);
    const modifiers: string[] = [];
    for (let i = 0; readValue(ft1, 26, 1, 1, i); i++) modifiers.push(readValue(ft1, 26, 1, 1, i));
    this.received.push({
      controlId: readValue(msh, 10),
      type,
      transactionId: readValue(ft1, 2),
      chargeTransactionId: readValue(parsed.message.getSegment('PR1'), 19),
      action: readValue(parsed.message.getSegment('PR1'), 20),
      chargeId: readValue(parsed.message.getSegment('NTE'), 3).replace(/^chargeId /, ''),
      issues: validateV251(text).map((i) => i.message),
      accession,
      code: readValue(ft1, 7),
      units: readValue(ft1, 10),
      dateOfService: readValue(ft1, 4),
      patientId: readValue(parsed.message.getSegment('PID'), 3),
      modifiers,
      receivingApplication: readValue(msh, 5),
      receivingFacility: readValue(msh, 6),
      text,
      answered,
    });
    if (answered === 'none') return;
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
    this.inFlight -= 1;
    const ack = buildAck(text, { code: answered, ...(answered === 'AA' ? {} : { text: `test billing system answers ${answered}` }) });
    connection.send(Hl7Message.parse(ack));
  }
}

const { databaseUrl, kafkaBrokers } = testEnv();
const groupId = `billing-dft-it-${randomUUID()}`;
const pool = new Pool({ connectionString: databaseUrl });
const billingSystem = new TestBillingSystem();
let app: INestApplication;

function configFor(port: number): BillingConfig {
  return loadServiceConfig({
    ...process.env,
    DATABASE_URL: serviceDatabaseUrl('billing'),
    KAFKA_BROKERS: kafkaBrokers,
    BILLING_CONSUMER_GROUP: groupId,
    BILLING_CONSUMERS: '1',
    LOG_LEVEL: 'warn',
    BILLING_DFT_HOST: '127.0.0.1',
    BILLING_DFT_PORT: String(port),
    BILLING_DFT_RECEIVING_APPLICATION: 'TESTBILL',
    BILLING_DFT_RECEIVING_FACILITY: 'TESTHOSP',
    BILLING_DFT_ACK_TIMEOUT_MS: '1000',
    BILLING_DFT_MAX_ATTEMPTS: '4',
    BILLING_DFT_BACKOFF_BASE_MS: '100',
    BILLING_DFT_BACKOFF_MAX_MS: '400',
    BILLING_DFT_POLL_MS: '100',
  });
}

async function startApp(): Promise<INestApplication> {
  const created = await createServiceApp(AppModule.forRoot(configFor(billingSystem.port)), BILLING_SERVICE, { logger: false });
  await created.init();
  return created;
}

beforeAll(async () => {
  await billingSystem.start();
  await startGroupAtEnd(kafkaBrokers, groupId, INPUT_TOPICS);
  app = await startApp();
}, 60_000);

afterAll(async () => {
  await app?.close();
  await billingSystem.stop();
  await deleteGroup(kafkaBrokers, groupId);
  await pool.end();
});

const http = (caller: TestCaller = 'ops-viewer') => asCaller(app.getHttpServer(), caller);

const asIncoming = <T extends BillingTopic>(m: OutgoingMessage<T>): IncomingMessage<T> => incomingOf(m, 'delivery-test');

/** Hands the events to billing's handler, in order. */
async function feed(...messages: OutgoingMessage[]): Promise<void> {
  const charging = app.get(ChargingService);
  for (const m of messages) await charging.handle(asIncoming(m as OutgoingMessage<BillingTopic>));
}

/** A case with one 88305 specimen (AETNA: posted as decided) and a passing scan: returns the case and its 0753T chargeId. */
async function postCharge(accession: string, over: Partial<CaseSnapshot> = {}): Promise<{ data: CaseSnapshot; chargeId: string }> {
  const data = snapshot(accession, [{ id: 'A', cpt: '88305', slides: 1 }], over);
  await feed(caseEvent(data), ...passingScans([barcodeOf(accession, 'A', 1)]));
  return { data, chargeId: chargeIdFor(`${accession}/A/0753T`) };
}

interface DeliveryRow {
  id: string;
  state: string;
  attempts: number;
  depends_on: string | null;
  message_control_id: string;
}

async function deliveryRow(kind: 'charge' | 'credit', chargeId: string): Promise<DeliveryRow | undefined> {
  const { rows } = await pool.query<DeliveryRow>(
    `SELECT id::text, state, attempts, depends_on::text, message_control_id FROM billing.delivery WHERE kind = $1 AND charge_id = $2`,
    [kind, chargeId],
  );
  return rows[0];
}

async function waitForState(kind: 'charge' | 'credit', chargeId: string, state: string, timeoutMs = 15_000): Promise<DeliveryRow> {
  return eventually(async () => {
    const row = await deliveryRow(kind, chargeId);
    return row?.state === state ? row : undefined;
  }, timeoutMs, `the ${kind} delivery of ${chargeId} to be ${state}`);
}

async function outcomes(deliveryId: string): Promise<string[]> {
  const { rows } = await pool.query(`SELECT outcome FROM billing.delivery_attempt WHERE delivery_id = $1 ORDER BY id`, [deliveryId]);
  return rows.map((r) => r.outcome as string);
}

/** Every accession this file delivered: none of them may be sent again after a restart. */
const delivered: string[] = [];

describe('DFT^P03 delivery over MLLP', () => {
  it('a posted charge goes out as DFT^P03 with the charge in FT1; AA -> acked, with its history', async () => {
    const acc = newAccession('DFT');
    const data = snapshot(acc, [{ id: 'A', cpt: '88305', units: 2, slides: 1 }], { flags: { researchStudy: true } });
    data.specimens = data.specimens.map((s) => ({ ...s, modifiers: ['Q1'] }));
    await feed(caseEvent(data), ...passingScans([barcodeOf(acc, 'A', 1)]));
    const chargeId = chargeIdFor(`${acc}/A/0753T`);
    delivered.push(acc);

    const row = await waitForState('charge', chargeId, 'acked');
    expect(row).toMatchObject({ attempts: 1, depends_on: null, id: deliveryIdFor('charge', chargeId), message_control_id: messageControlIdFor('charge', chargeId) });
    const charge = (await http().get(`/charges/${chargeId}`).expect(200)).body;
    const [d] = (await http().get(`/charges/${chargeId}/deliveries`).expect(200)).body.deliveries;
    expect(d.transactionId).toMatch(/^\d{1,12}$/);
    expect(billingSystem.of(acc)).toEqual([
      expect.objectContaining({
        controlId: messageControlIdFor('charge', chargeId),
        type: 'CG',
        transactionId: d.transactionId,
        chargeTransactionId: d.transactionId,
        action: 'A',
        chargeId,
        issues: [],
        code: '0753T',
        units: '2',
        dateOfService: COLLECTED.replaceAll('-', ''),
        patientId: patientIdOf(acc),
        modifiers: charge.modifiers,
        receivingApplication: 'TESTBILL',
        receivingFacility: 'TESTHOSP',
        answered: 'AA',
      }),
    ]);
    expect(charge.modifiers).toContain('Q1');
    // Billing keeps the case's fields the DFT^P03 needs, as the case event carried them.
    const { rows: stored } = await pool.query(
      `SELECT patient, payer_name, payer_plan, ordering_provider, ordering_provider_npi FROM billing.billing_case WHERE accession_number = $1`,
      [acc],
    );
    expect(stored).toEqual([
      {
        patient: DFT_CASE_FIELDS.patient,
        payer_name: 'Aetna',
        payer_plan: 'AETNA-PPO',
        ordering_provider: '1548302744 WELBY, MARCUS',
        ordering_provider_npi: '1548302744',
      },
    ]);
    const text = billingSystem.of(acc)[0]?.text ?? '';
    expect(text).toContain('\rPID|1||' + `${patientIdOf(acc)}^^^UNIVHOSP^MR||DOE^JANE^^^^^L||19610704|F\r`);
    expect(text).toContain('|1548302744^WELBY^MARCUS^^^^^^&2.16.840.1.113883.4.6&ISO^L^^^NPI|');
    expect(text).toContain('\rIN1|1|AETNA-PPO|AETNA|Aetna');

    const view = (await http().get(`/charges/${chargeId}/deliveries`).expect(200)).body;
    expect(view.delivery).toEqual({ enabled: true, target: `127.0.0.1:${billingSystem.port}` });
    expect(view.deliveries).toHaveLength(1);
    expect(view.deliveries[0]).toEqual(d);
    expect(d).toMatchObject({ kind: 'charge', chargeId, chargeTransactionId: null, creditId: null, accessionNumber: acc, state: 'acked', attempts: 1, maxAttempts: 4, lastOutcome: 'AA', lastError: null, waitingFor: null });
    expect(d.message).toBe(billingSystem.of(acc)[0]?.text);
    expect(d.history).toEqual([
      expect.objectContaining({ attempt: 1, outcome: 'AA', detail: 'Message accepted', ack: expect.stringContaining(`MSA|AA|${d.messageControlId}`) }),
    ]);
    expect((await http().get(`/deliveries/${d.deliveryId}`).expect(200)).body).toEqual(d);
  });

  it('AE, then AA: sent again after the backoff with the same MSH-10 and bytes, acked once', async () => {
    const acc = newAccession('DFT');
    billingSystem.script(acc, 'CG', ['AE']);
    const { chargeId } = await postCharge(acc);
    delivered.push(acc);
    const row = await waitForState('charge', chargeId, 'acked');
    expect(row.attempts).toBe(2);
    expect(await outcomes(row.id)).toEqual(['AE', 'AA']);
    const got = billingSystem.of(acc);
    expect(got.map((r) => [r.controlId, r.answered])).toEqual([
      [row.message_control_id, 'AE'],
      [row.message_control_id, 'AA'],
    ]);
    expect(got[1]?.text).toBe(got[0]?.text);
    const history = (await http().get(`/deliveries/${row.id}`).expect(200)).body.history;
    expect(history[0]).toMatchObject({ attempt: 1, outcome: 'AE', detail: 'test billing system answers AE' });
  });

  it('no answer: timeout, then sent again and acked', async () => {
    const acc = newAccession('DFT');
    billingSystem.script(acc, 'CG', ['none']);
    const { chargeId } = await postCharge(acc);
    delivered.push(acc);
    const row = await waitForState('charge', chargeId, 'acked');
    expect(await outcomes(row.id)).toEqual(['timeout', 'AA']);
    expect(billingSystem.of(acc).map((r) => r.controlId)).toEqual([row.message_control_id, row.message_control_id]);
    const [timeout] = (await http().get(`/deliveries/${row.id}`).expect(200)).body.history;
    expect(timeout).toMatchObject({ outcome: 'timeout', detail: expect.stringContaining('no ACK from 127.0.0.1'), ack: null });
  });

  it('a credit goes out after its charge is acked: FT1-6 CD, its own FT1-2, PR1-19 the charge\'s FT1-2 (PR1-20 D)', async () => {
    const acc = newAccession('DFT');
    billingSystem.script(acc, 'CG', ['AE', 'AE', 'AE']);
    const { data, chargeId } = await postCharge(acc);
    delivered.push(acc);
    await feed(caseEvent({ ...data, version: 2, status: 'cancelled', cancelReason: 'ordered in error' }, 'case.cancelled'));
    const creditId = creditIdFor(chargeId);
    const charge = await deliveryRow('charge', chargeId);
    const queued = await deliveryRow('credit', chargeId);
    expect(queued).toMatchObject({ depends_on: charge?.id, message_control_id: messageControlIdFor('credit', creditId) });
    if (charge?.state !== 'acked') {
      const waiting = (await http().get(`/deliveries/${queued?.id}`).expect(200)).body;
      expect(waiting).toMatchObject({ kind: 'credit', creditId, state: 'pending', waitingFor: charge?.id });
    }

    const credit = await waitForState('credit', chargeId, 'acked');
    expect(await outcomes(credit.id)).toEqual(['AA']);
    const got = billingSystem.of(acc);
    expect(got.map((r) => [r.type, r.answered])).toEqual([
      ['CG', 'AE'],
      ['CG', 'AE'],
      ['CG', 'AE'],
      ['CG', 'AA'],
      ['CD', 'AA'],
    ]);
    // The credit has its own FT1-2; PR1-19 names the charge's FT1-2 (PR1-20 D); NTE the charge's chargeId.
    const chargeFt1 = got[3]?.transactionId as string;
    expect(got[4]).toMatchObject({ controlId: messageControlIdFor('credit', creditId), chargeTransactionId: chargeFt1, action: 'D', chargeId, code: '0753T', units: '1', patientId: patientIdOf(acc), issues: [] });
    expect(got[4]?.transactionId).toMatch(/^\d{1,12}$/);
    expect(got[4]?.transactionId).not.toBe(chargeFt1);
    expect(new Set(got.slice(0, 4).map((r) => r.transactionId))).toEqual(new Set([chargeFt1])); // a resend keeps its FT1-2

    const view = (await http().get(`/charges/${chargeId}/deliveries`).expect(200)).body;
    expect(view.deliveries.map((d: { kind: string; state: string; attempts: number }) => [d.kind, d.state, d.attempts])).toEqual([
      ['charge', 'acked', 4],
      ['credit', 'acked', 1],
    ]);
    expect(view.deliveries.map((d: { transactionId: string; chargeTransactionId: string | null }) => [d.transactionId, d.chargeTransactionId])).toEqual([
      [chargeFt1, null],
      [got[4]?.transactionId, chargeFt1],
    ]);
  });

  it('a case without the patient\'s name: not sent half-empty, failed with the reason; the next case version with it sends it', async () => {
    const acc = newAccession('DFT');
    const { data, chargeId } = await postCharge(acc, { patient: { givenName: 'JANE' } });
    const refused = await waitForState('charge', chargeId, 'failed');
    expect(refused.attempts).toBe(1);
    expect(await outcomes(refused.id)).toEqual(['not-sendable']);
    const view = (await http().get(`/deliveries/${refused.id}`).expect(200)).body;
    expect(view).toMatchObject({ state: 'failed', lastOutcome: 'not-sendable', message: null });
    expect(view.lastError).toBe(
      `not sent: case ${acc} has no patient family name (PID-5), which HL7 v2.5.1 requires in a DFT^P03; ` +
        'it is sent once the LIS sends a case version with them (or by POST /deliveries/{deliveryId}/retry)',
    );
    expect(billingSystem.of(acc)).toEqual([]);

    // The LIS sends the name: the same charge (unchanged), its delivery due again and sent, complete.
    await feed(caseEvent({ ...data, version: 2, patient: DFT_CASE_FIELDS.patient }, 'case.updated'));
    const acked = await waitForState('charge', chargeId, 'acked');
    delivered.push(acc);
    expect(await outcomes(acked.id)).toEqual(['not-sendable', 'AA']);
    expect(billingSystem.of(acc)).toEqual([expect.objectContaining({ type: 'CG', chargeId, issues: [] })]);
    expect(billingSystem.of(acc)[0]?.text).toContain('|DOE^JANE^^^^^L|');
  });

  it('a re-charge after a change of units goes out after the credit of the charge it replaces', async () => {
    const acc = newAccession('DFT');
    billingSystem.script(acc, 'CG', ['AE']);
    const { data, chargeId } = await postCharge(acc);
    delivered.push(acc);
    await feed(caseEvent({ ...data, version: 2, specimens: data.specimens.map((s) => ({ ...s, units: 2 })) }, 'case.updated'));
    const recharge = chargeIdForGeneration(`${acc}/A/0753T`, 2);
    const credit = await deliveryRow('credit', chargeId);
    expect(await deliveryRow('charge', recharge)).toMatchObject({ depends_on: credit?.id });
    await waitForState('charge', recharge, 'acked');
    expect(billingSystem.of(acc).map((r) => [r.type, r.chargeId, r.units, r.answered])).toEqual([
      ['CG', chargeId, '1', 'AE'],
      ['CG', chargeId, '1', 'AA'],
      ['CD', chargeId, '1', 'AA'],
      ['CG', recharge, '2', 'AA'],
    ]);
  });

  it('refused at every attempt: failed, listed for ops, retried by hand, then acked', async () => {
    const acc = newAccession('DFT');
    billingSystem.script(acc, 'CG', ['AE', 'AE', 'AE', 'AR']);
    const { chargeId } = await postCharge(acc);
    delivered.push(acc);
    const row = await waitForState('charge', chargeId, 'failed');
    expect(await outcomes(row.id)).toEqual(['AE', 'AE', 'AE', 'AR']);

    const failed = (await http().get(`/deliveries?state=failed&accession=${acc}`).expect(200)).body;
    expect(failed.items).toEqual([
      expect.objectContaining({ deliveryId: row.id, state: 'failed', attempts: 4, lastOutcome: 'AR', lastError: 'test billing system answers AR', nextAttemptAt: null }),
    ]);
    expect(failed.counts.failed).toBeGreaterThanOrEqual(1);
    expect((await http().get('/deliveries?state=failed&limit=500').expect(200)).body.items.map((i: { deliveryId: string }) => i.deliveryId)).toContain(row.id);
    await http().get('/deliveries?state=lost').expect(400);

    await http('ops-viewer').post(`/deliveries/${row.id}/retry`).send({}).expect(403);
    await http('billing-admin').post(`/deliveries/${row.id}/retry`).send({ actor: 'on-call' }).expect(400);
    await http('billing-admin').post(`/deliveries/${randomUUID()}/retry`).send({}).expect(404);
    const retried = (await http('billing-admin').post(`/deliveries/${row.id}/retry`).send({ comment: 'charge code loaded in the CDM' }).expect(200)).body;
    expect(retried).toMatchObject({ manualRetries: 1, lastRetry: { by: expect.stringMatching(/^billing-admin \(sub [0-9a-f-]{36}\)$/) } });

    const acked = await waitForState('charge', chargeId, 'acked');
    expect(acked.attempts).toBe(1);
    expect(await outcomes(row.id)).toEqual(['AE', 'AE', 'AE', 'AR', 'AA']);
    const again = await http('billing-admin').post(`/deliveries/${row.id}/retry`).send({}).expect(409);
    expect(again.body.message).toContain('is acked');
  });

  it('a charge released from the review queue is delivered; a held one is not', async () => {
    const acc = newAccession('DFT');
    const { chargeId } = await postCharge(acc, { payer: { payerId: 'MEDICARE', name: 'Medicare Part B', plan: 'PART-B' } });
    delivered.push(acc);
    expect((await http().get(`/charges/${chargeId}`).expect(200)).body.status).toBe('held');
    expect((await http().get(`/charges/${chargeId}/deliveries`).expect(200)).body.deliveries).toEqual([]);
    await http('billing-reviewer')
      .post(`/charges/${chargeId}/release`)
      .send({ justification: 'medical necessity documented in the sign-out note' })
      .expect(200);
    await waitForState('charge', chargeId, 'acked');
    expect(billingSystem.of(acc).map((r) => [r.type, r.chargeId])).toEqual([['CG', chargeId]]);
    await http().get(`/charges/${randomUUID()}/deliveries`).expect(404);
  });

  it('two senders on one queue never send the same delivery (FOR UPDATE SKIP LOCKED)', async () => {
    const second = new DeliveryWorker(app.get<BillingConfig>(BILLING_CONFIG), app.get(DeliveryRepository), app.get(DeliverySenderRepository), app.get(ServiceRuntime), []);
    second.onApplicationBootstrap();
    billingSystem.delayMs = 200;
    try {
      const accessions = Array.from({ length: 6 }, () => newAccession('DFT'));
      delivered.push(...accessions);
      const charges = await Promise.all(accessions.map((acc) => postCharge(acc)));
      await Promise.all(charges.map((c) => waitForState('charge', c.chargeId, 'acked')));
      for (const acc of accessions) expect(billingSystem.of(acc).map((r) => r.answered)).toEqual(['AA']);
      // Both took part: while one waited for an ACK, the other took the next row.
      const { rows } = await pool.query(
        `SELECT DISTINCT a.sent_by FROM billing.delivery_attempt a JOIN billing.delivery d ON d.id = a.delivery_id WHERE d.accession_number = ANY($1)`,
        [accessions],
      );
      expect(rows.map((r) => r.sent_by).sort()).toEqual([app.get(DeliveryWorker).instance, second.instance].sort());
    } finally {
      billingSystem.delayMs = 0;
      await second.beforeApplicationShutdown();
    }
  });

  it('billing system down: connection errors, then delivered once it is back', async () => {
    const port = billingSystem.port;
    await billingSystem.stop();
    const acc = newAccession('DFT');
    const { chargeId } = await postCharge(acc);
    delivered.push(acc);
    const id = deliveryIdFor('charge', chargeId);
    await eventually(async () => ((await outcomes(id)).includes('connection-error') ? true : undefined), 10_000, 'a connection error');
    await billingSystem.start(port);
    await waitForState('charge', chargeId, 'acked');
    const seen = await outcomes(id);
    expect(seen.at(-1)).toBe('AA');
    expect(seen.slice(0, -1).every((o) => o === 'connection-error')).toBe(true);
    expect(billingSystem.of(acc).map((r) => r.answered)).toEqual(['AA']);
  });

  it('readiness says where charges go; metrics count the outcomes', async () => {
    const ready = (await http().get('/health/ready').expect(200)).body;
    expect(ready.checks).toContainEqual(
      expect.objectContaining({ name: 'billing-system-delivery', status: 'up', enabled: true, target: `127.0.0.1:${billingSystem.port}` }),
    );
    const metrics = (await http().get('/metrics').expect(200)).text;
    expect(metrics).toMatch(/slidecharge_billing_dft_attempts_total\{kind="charge",outcome="AA"\} [1-9]/);
    expect(metrics).toMatch(/slidecharge_billing_dft_attempts_total\{kind="charge",outcome="timeout"\} [1-9]/);
    expect(metrics).toMatch(/slidecharge_billing_dft_failed_total\{kind="charge"\} [1-9]/);
    expect(metrics).toMatch(/slidecharge_billing_dft_queue\{state="pending"\} \d+/);
    expect(metrics).toMatch(/slidecharge_billing_dft_queue\{state="failed"\} \d+/);
  });

  it('shutdown waits for the ACK in flight; after a restart nothing acked is sent again', async () => {
    const acc = newAccession('DFT');
    billingSystem.delayMs = 600;
    const { chargeId } = await postCharge(acc);
    delivered.push(acc);
    await waitForState('charge', chargeId, 'in-flight', 5_000);
    await app.close();
    billingSystem.delayMs = 0;
    expect(await deliveryRow('charge', chargeId)).toMatchObject({ state: 'acked', attempts: 1 });

    const before = billingSystem.received.length;
    const { rows: snapshotBefore } = await pool.query(
      `SELECT id::text, state, attempts FROM billing.delivery WHERE accession_number = ANY($1) ORDER BY id`,
      [delivered],
    );
    app = await startApp();
    // A barrier: a new charge posted after the restart goes out and is acked, so the restarted worker
    // has been through its queue, where a resend of an acked delivery would have been.
    const canary = await postCharge(newAccession('DFT'));
    await waitForState('charge', canary.chargeId, 'acked');
    const resent = billingSystem.received.slice(before).filter((r) => delivered.includes(r.accession));
    expect(resent).toEqual([]);
    const { rows: snapshotAfter } = await pool.query(
      `SELECT id::text, state, attempts FROM billing.delivery WHERE accession_number = ANY($1) ORDER BY id`,
      [delivered],
    );
    expect(snapshotAfter).toEqual(snapshotBefore);
    expect(snapshotAfter.every((r) => r.state === 'acked')).toBe(true);
  });
});

/** Ends the Postgres session that holds a sender's lock, as a SIGKILL, a lost host or a cut connection would. */
async function endLockSession(key: number | undefined): Promise<void> {
  const { rows } = await pool.query(
    `SELECT pg_terminate_backend(pid) AS ended FROM pg_locks WHERE locktype = 'advisory' AND classid = $1::int::oid AND objid = $2::int::oid AND objsubid = 2 AND granted`,
    [SENDER_LOCK_CLASS, key],
  );
  expect(rows).toEqual([{ ended: true }]);
}

async function claimOf(chargeId: string): Promise<{ state: string; claimed_by: string | null; attempts: number; sending_until: Date | null }> {
  const { rows } = await pool.query(`SELECT state, claimed_by, attempts, sending_until FROM billing.delivery WHERE kind = 'charge' AND charge_id = $1`, [chargeId]);
  return rows[0];
}

describe('a sender that is gone (its advisory lock free)', () => {
  const senders: DeliveryWorker[] = [];
  const locks: SenderLock[] = [];
  const startSender = () => {
    const sender = new DeliveryWorker(app.get<BillingConfig>(BILLING_CONFIG), app.get(DeliveryRepository), app.get(DeliverySenderRepository), app.get(ServiceRuntime), []);
    sender.onApplicationBootstrap();
    senders.push(sender);
    return sender;
  };
  const lockOf = () => {
    const lock = new SenderLock(serviceDatabaseUrl('billing'), app.get(ServiceRuntime).logger, 30_000);
    locks.push(lock);
    return lock;
  };

  beforeAll(async () => {
    // The tests play the senders: this app's own one stops.
    await app.get(DeliveryWorker).beforeApplicationShutdown();
  });

  afterAll(async () => {
    for (const sender of senders) await sender.beforeApplicationShutdown();
    for (const lock of locks) await lock.release();
  });

  it('leaves its claims, taken at once by another sender (the one it was sending after its sending window); a live sender\'s claims are not taken', async () => {
    const sending = app.get(DeliverySenderRepository);
    const accessions = Array.from({ length: 6 }, () => newAccession('DFT'));
    delivered.push(...accessions);
    const charges: string[] = [];
    for (const acc of accessions) charges.push((await postCharge(acc)).chargeId);
    const [gone, live] = [charges.slice(0, 3), charges.slice(3)];

    // Two senders claim three deliveries each under a 60 s lease; the first marks its first as being sent.
    const now = new Date();
    const leaseUntil = new Date(now.getTime() + 60_000);
    const goneLock = lockOf();
    const goneClaims = await sending.claimBatch(goneLock, 'gone-sender', now, leaseUntil, 3);
    expect(goneClaims.map((c) => c.chargeId)).toEqual(gone);
    expect(await sending.markSending(goneLock, 'gone-sender', goneClaims[0] as ClaimedDelivery, 4_000)).toBe(true);
    const liveLock = lockOf();
    expect((await sending.claimBatch(liveLock, 'live-sender', now, leaseUntil, 3)).map((c) => c.chargeId)).toEqual(live);

    // A barrier: a sender starts and acks a charge posted after the claims, so it has looked at them.
    const info = jest.spyOn(app.get(ServiceRuntime).logger, 'info');
    startSender();
    const canary = await postCharge(newAccession('DFT'));
    await waitForState('charge', canary.chargeId, 'acked');
    for (const chargeId of gone) expect(await claimOf(chargeId)).toMatchObject({ state: 'in-flight', claimed_by: 'gone-sender', attempts: 1 });

    // The first sender dies: its claims are taken at once, well before their lease.
    const { sending_until: sendingUntil } = await claimOf(gone[0] as string);
    await endLockSession(goneClaims[0]?.claimerLock);
    const diedAt = Date.now();
    for (const chargeId of gone) await waitForState('charge', chargeId, 'acked', 20_000);
    expect(Date.now() - diedAt).toBeLessThan(15_000);
    // ... but the one it was sending only once its sending window closed (it might have been on the wire).
    const { rows: resent } = await pool.query(
      `SELECT a.started_at FROM billing.delivery_attempt a WHERE a.delivery_id = $1 AND a.outcome = 'AA'`,
      [goneClaims[0]?.id],
    );
    expect(resent[0].started_at.getTime()).toBeGreaterThanOrEqual((sendingUntil as Date).getTime());
    const takeovers = info.mock.calls.filter(([fields]) => typeof fields === 'object' && (fields as { from?: string[] }).from?.includes('gone-sender'));
    expect(takeovers.reduce((n, [fields]) => n + (fields as { takenOver: number }).takenOver, 0)).toBe(3);
    info.mockRestore();
    for (const c of goneClaims) {
      const history = (await http().get(`/deliveries/${c.id}`).expect(200)).body.history;
      expect(history.map((h: { outcome: string; sentBy: string }) => h.outcome)).toEqual(['interrupted', 'AA']);
      expect(history[0]).toMatchObject({ attempt: 1, detail: expect.stringContaining('it was gone: its lock was free') });
    }

    // The live sender's claims, looked at by every claim since, are still its own: their lease runs.
    for (const chargeId of live) expect(await claimOf(chargeId)).toMatchObject({ state: 'in-flight', claimed_by: 'live-sender', attempts: 1 });
    await liveLock.release(); // it stops (without giving its claims back): they are taken at once too
    for (const chargeId of live) await waitForState('charge', chargeId, 'acked', 20_000);
    // Each reached the billing system exactly once.
    for (const acc of accessions) expect(billingSystem.of(acc).map((r) => r.answered)).toEqual(['AA']);
  });

  it('a sender whose lock session ends while it sends stops sending what it claimed; nothing is sent twice', async () => {
    for (const sender of senders) await sender.beforeApplicationShutdown();
    billingSystem.delayMs = 400;
    const warn = jest.spyOn(app.get(ServiceRuntime).logger, 'warn');
    try {
      // Four charges queued while no sender runs: the first sender to start claims them in one batch.
      const accessions = Array.from({ length: 4 }, () => newAccession('DFT'));
      delivered.push(...accessions);
      const charges: string[] = [];
      for (const acc of accessions) charges.push((await postCharge(acc)).chargeId);
      const first = startSender();
      await eventually(() => (billingSystem.of(accessions[0] as string).length > 0 ? true : undefined), 10_000, 'the first DFT^P03 of the batch on the wire');
      const oldKey = first.senderLock;
      // While it waits for that ACK, a second sender runs and the first one's lock session ends: the
      // second takes the rest of the batch at once, so the first must not send any of it.
      const second = startSender();
      await eventually(() => (second.senderLock !== undefined ? true : undefined), 10_000, 'the second sender holding its lock');
      await endLockSession(oldKey);
      for (const chargeId of charges) await waitForState('charge', chargeId, 'acked', 20_000);
      for (const acc of accessions) expect(billingSystem.of(acc).map((r) => r.answered)).toEqual(['AA']);
      expect(warn.mock.calls.some(([, msg]) => typeof msg === 'string' && msg.includes('not sent by this sender'))).toBe(true);
      // The first sender carries on under a new lock.
      await eventually(() => (first.senderLock !== undefined && first.senderLock !== oldKey ? true : undefined), 10_000, 'the first sender under a new lock');
    } finally {
      warn.mockRestore();
      billingSystem.delayMs = 0;
    }
  });
});

describe('several connections to the billing system (BILLING_DFT_CONNECTIONS)', () => {
  it('keeps one message outstanding per connection, several at once across them; each charge is sent once', async () => {
    // No other sender may run here (the describe above stopped the app's and its own; stopping again is
    // harmless, and needed when this test runs alone): these charges wait queued.
    await app.get(DeliveryWorker).beforeApplicationShutdown();
    const accessions = Array.from({ length: 12 }, () => newAccession('DFT'));
    delivered.push(...accessions);
    const charges: string[] = [];
    for (const acc of accessions) charges.push((await postCharge(acc)).chargeId);
    const config = { ...app.get<BillingConfig>(BILLING_CONFIG), BILLING_DFT_CONNECTIONS: 3 };
    const worker = new DeliveryWorker(config, app.get(DeliveryRepository), app.get(DeliverySenderRepository), app.get(ServiceRuntime), []);
    billingSystem.delayMs = 200;
    billingSystem.maxInFlight = 0;
    const connectionsBefore = billingSystem.connections.size;
    worker.onApplicationBootstrap();
    try {
      for (const chargeId of charges) await waitForState('charge', chargeId, 'acked', 20_000);
    } finally {
      billingSystem.delayMs = 0;
      await worker.beforeApplicationShutdown();
    }
    for (const acc of accessions) expect(billingSystem.of(acc).map((r) => r.answered)).toEqual(['AA']);
    // Messages were outstanding side by side, each connection with one (an MLLP sender never sends the
    // next before the ACK): more at once means more connections.
    expect(billingSystem.maxInFlight).toBeGreaterThanOrEqual(2);
    expect(billingSystem.maxInFlight).toBeLessThanOrEqual(3);
    expect(billingSystem.connections.size - connectionsBefore).toBeGreaterThanOrEqual(2);
    const { rows } = await pool.query(
      `SELECT DISTINCT a.sent_by FROM billing.delivery_attempt a JOIN billing.delivery d ON d.id = a.delivery_id WHERE d.accession_number = ANY($1)`,
      [accessions],
    );
    const lanes = [worker.instance, `${worker.instance}/2`, `${worker.instance}/3`];
    expect(rows.length).toBeGreaterThanOrEqual(2);
    for (const { sent_by } of rows) expect(lanes).toContain(sent_by);
  });
});

describe('every DFT^P03 of this file', () => {
  it('passed the HL7 v2.5.1 check (structure, required fields, lengths, repetitions) when the billing system received it', () => {
    expect(billingSystem.received.length).toBeGreaterThan(10);
    expect(billingSystem.received.filter((r) => r.issues.length > 0).map((r) => [r.controlId, r.issues])).toEqual([]);
  });
});
