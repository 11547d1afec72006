import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { createServer as createTlsServer, type Server, type TlsOptions, type TLSSocket } from 'node:tls';
import { INestApplication } from '@nestjs/common';
import { Pool } from 'pg';
import request from 'supertest';
import { buildAck, buildDftP03, frame, MllpDecoder, readMessageHeader } from '@slidecharge/hl7';
import { createLogger, IncomingMessage, incomingOf, OutgoingMessage } from '@slidecharge/messaging';
import { createServiceApp } from '@slidecharge/service-kit';
import { eventually, makeTestPki, serviceDatabaseUrl, testEnv, type TestCertificate, type TestPki } from '@slidecharge/testing';
import type { Charge } from '@slidecharge/contracts';
import { AppModule } from '../src/app.module';
import { chargeIdFor } from '../src/charge/charge-id';
import { BillingTopic, ChargingService } from '../src/charging/charging.service';
import { loadServiceConfig } from '../src/config';
import { deliveryIdFor } from '../src/delivery/delivery-policy';
import { MllpSender, type DftTarget } from '../src/delivery/mllp-sender';
import { BILLING_SERVICE } from '../src/openapi';
import { barcodeOf, caseEvent, deleteGroup, INPUT_TOPICS, newAccession, passingScans, snapshot, startGroupAtEnd } from './support';

/**
 * DFT^P03 delivery over TLS and mutual TLS to a TLS MLLP billing system in the test (node:tls, a
 * throw-away CA made with openssl under tmp/pki): the sender on its own for each case of the
 * handshake (trusted, mutual, no client certificate, untrusted server, wrong name), ACK framing a
 * kept connection can meet, then billing as a whole delivering a charge over mutual TLS.
 */

interface Received {
  controlId: string;
  /** Subject CN of the verified client certificate, if any. */
  clientCN: string | undefined;
}

/** A billing system on MLLP over TLS: records each message and answers with `answer` (default: its AA). */
class TlsBillingSystem {
  readonly received: Received[] = [];
  answer: (text: string) => Buffer = (text) => frame(buildAck(text, { code: 'AA' }));
  private server: Server | undefined;
  private readonly sockets = new Set<TLSSocket>();
  port = 0;

  constructor(private readonly options: TlsOptions) {}

  async start(): Promise<this> {
    this.server = createTlsServer({ ...this.options, minVersion: 'TLSv1.2' }, (socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
      socket.on('error', () => undefined);
      const decoder = new MllpDecoder();
      socket.on('data', (chunk: Buffer) => {
        for (const text of decoder.push(chunk)) {
          const cn = socket.authorized ? socket.getPeerCertificate().subject?.CN : undefined;
          this.received.push({ controlId: readMessageHeader(text)?.controlId ?? '', clientCN: typeof cn === 'string' ? cn : undefined });
          socket.write(this.answer(text));
        }
      });
    });
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

const { databaseUrl, kafkaBrokers } = testEnv();
const run = randomUUID().slice(0, 8).toLowerCase();
const silent = createLogger('billing-test', 'silent');

let pki: TestPki;
let billingClient: TestCertificate;
let serverTls: TlsOptions;
const systems: TlsBillingSystem[] = [];

async function billingSystem(options: TlsOptions = {}): Promise<TlsBillingSystem> {
  const system = await new TlsBillingSystem({ ...serverTls, ...options }).start();
  systems.push(system);
  return system;
}

beforeAll(() => {
  pki = makeTestPki('dft-tls', ['slidecharge-billing']);
  billingClient = pki.clients['slidecharge-billing'] as TestCertificate;
  serverTls = { cert: pki.server.cert, key: pki.server.key, ca: pki.ca };
});

afterAll(async () => {
  await Promise.all(systems.map((s) => s.stop()));
});

const charge = (controlId: string): string =>
  buildDftP03(
    {
      chargeId: randomUUID(),
      chargeKey: 'S26-1/A/0753T',
      transactionType: 'CG',
      accessionNumber: 'S26-1',
      specimenId: 'A',
      code: '0753T',
      primaryCode: '88305',
      units: 1,
      dateOfService: '2026-03-02',
      patientId: 'MRN-1',
      payerId: 'AETNA',
      diagnoses: [],
      slideBarcodes: [],
      scanIds: [],
      causedBy: [],
      postedAt: '2026-03-02T10:00:00Z',
      modifiers: [],
      diagnosisPointers: [],
      performer: { step: 'scanning', taxonomy: '246QH0600X', description: 'Histology' },
      policyVersion: '1',
      payerPolicyId: 'aetna',
      flags: [],
      trace: [],
    } satisfies Charge,
    { messageControlId: controlId, transactionId: '1' },
  );

async function sendOnce(target: DftTarget, controlId = `T${randomUUID().slice(0, 8)}`) {
  const sender = new MllpSender(target, 3_000, silent);
  try {
    return await sender.send(charge(controlId));
  } finally {
    await sender.close();
  }
}

describe('the DFT^P03 sender over TLS', () => {
  it('TLS, the billing system checked against the CA (its certificate names 127.0.0.1): AA over TLS 1.2+', async () => {
    const system = await billingSystem();
    const result = await sendOnce({ host: '127.0.0.1', port: system.port, tls: { ca: pki.ca } }, 'TLS-1');
    expect(result).toEqual({ kind: 'answer', text: expect.stringContaining('MSA|AA|TLS-1') });
    expect(system.received).toEqual([{ controlId: 'TLS-1', clientCN: undefined }]);
  });

  it('mutual TLS: the billing system requires a client certificate of its CA; billing presents one and gets AA', async () => {
    const system = await billingSystem({ requestCert: true, rejectUnauthorized: true });
    const result = await sendOnce({ host: '127.0.0.1', port: system.port, tls: { ca: pki.ca, cert: billingClient.cert, key: billingClient.key } }, 'MTLS-1');
    expect(result.kind).toBe('answer');
    expect(system.received).toEqual([{ controlId: 'MTLS-1', clientCN: 'slidecharge-billing' }]);
  });

  it('mutual TLS required, no client certificate: a connection error, nothing received', async () => {
    const system = await billingSystem({ requestCert: true, rejectUnauthorized: true });
    const result = await sendOnce({ host: '127.0.0.1', port: system.port, tls: { ca: pki.ca } });
    expect(result.kind).toBe('connection-error');
    expect(system.received).toEqual([]);
  });

  it('a billing system whose certificate is not from the configured CA: a connection error naming the certificate problem, nothing sent', async () => {
    const system = await billingSystem();
    const result = await sendOnce({ host: '127.0.0.1', port: system.port, tls: { ca: readFileSync(pki.otherCaFile) } });
    expect(result).toEqual({ kind: 'connection-error', detail: expect.stringMatching(/^tls:\/\/127\.0\.0\.1:\d+: [A-Z_]+: .*certificate/) });
    expect(system.received).toEqual([]);
  });

  it('a certificate for another name than BILLING_DFT_TLS_SERVERNAME: a connection error', async () => {
    const system = await billingSystem();
    const result = await sendOnce({ host: '127.0.0.1', port: system.port, tls: { ca: pki.ca, servername: 'billing.example.org' } });
    expect(result).toEqual({ kind: 'connection-error', detail: expect.stringContaining('ERR_TLS_CERT_ALTNAME_INVALID') });
  });

  it('a late ACK of another message and the right ACK in one chunk: the right one is taken (frames are decoded, not guessed at chunk ends)', async () => {
    const system = await billingSystem();
    system.answer = (text) => Buffer.concat([frame(buildAck(charge('OTHER-1'), { code: 'AE' })), frame(buildAck(text, { code: 'AA' }))]);
    const result = await sendOnce({ host: '127.0.0.1', port: system.port, tls: { ca: pki.ca } }, 'TWO-1');
    expect(result).toEqual({ kind: 'answer', text: expect.stringContaining('MSA|AA|TWO-1') });
  });
});

describe('billing delivering over mutual TLS (BILLING_DFT_TLS and its files)', () => {
  const groupId = `billing-dft-tls-it-${run}`;
  const pool = new Pool({ connectionString: databaseUrl });
  let app: INestApplication;
  let system: TlsBillingSystem;

  beforeAll(async () => {
    system = await billingSystem({ requestCert: true, rejectUnauthorized: true });
    await startGroupAtEnd(kafkaBrokers, groupId, INPUT_TOPICS);
    const config = loadServiceConfig({
      ...process.env,
      DATABASE_URL: serviceDatabaseUrl('billing'),
      BILLING_CONSUMER_GROUP: groupId,
      BILLING_CONSUMERS: '1',
      LOG_LEVEL: 'warn',
      BILLING_DFT_HOST: '127.0.0.1',
      BILLING_DFT_PORT: String(system.port),
      BILLING_DFT_TLS: 'true',
      BILLING_DFT_TLS_CA_FILE: pki.caFile,
      BILLING_DFT_TLS_CERT_FILE: billingClient.certFile,
      BILLING_DFT_TLS_KEY_FILE: billingClient.keyFile,
      BILLING_DFT_ACK_TIMEOUT_MS: '2000',
      BILLING_DFT_BACKOFF_BASE_MS: '100',
      BILLING_DFT_BACKOFF_MAX_MS: '400',
      BILLING_DFT_POLL_MS: '100',
    });
    app = await createServiceApp(AppModule.forRoot(config), BILLING_SERVICE, { logger: false });
    await app.init();
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await deleteGroup(kafkaBrokers, groupId);
    await pool.end();
  });

  const asIncoming = <T extends BillingTopic>(m: OutgoingMessage<T>): IncomingMessage<T> => incomingOf(m, 'dft-tls-test');

  /** Every HTTP request of this describe goes through here (one place to add a bearer token). */
  const http = () => request(app.getHttpServer());

  it('a posted charge reaches the billing system as DFT^P03 over mutual TLS and is acked; readiness says TLS', async () => {
    const accession = newAccession('DFTTLS');
    // What a DFT^P03 needs of the case (PID-5, IN1-2), and a patient id that fits PID-3.1 (15 characters).
    const data = snapshot(accession, [{ id: 'A', cpt: '88305', slides: 1 }], {
      patientId: 'MRN-TLS-1',
      patient: { familyName: 'DOE', givenName: 'JANE' },
      payer: { payerId: 'AETNA', name: 'Aetna', plan: 'AETNA-PPO' },
    });
    const charging = app.get(ChargingService);
    // Handed to billing's handler as its consumer would (see delivery.int-spec.ts for why not published).
    for (const m of [caseEvent(data), ...passingScans([barcodeOf(accession, 'A', 1)])]) await charging.handle(asIncoming(m as OutgoingMessage<BillingTopic>));
    const chargeId = chargeIdFor(`${accession}/A/0753T`);
    const deliveryId = deliveryIdFor('charge', chargeId);
    await eventually(async () => {
      const { rows } = await pool.query('SELECT state FROM billing.delivery WHERE id = $1', [deliveryId]);
      return rows[0]?.state === 'acked' ? true : undefined;
    }, 15_000, 'the charge acked over TLS');
    expect(system.received.at(-1)).toMatchObject({ clientCN: 'slidecharge-billing' });
    const ready = (await http().get('/health/ready').expect(200)).body;
    expect(ready.checks).toContainEqual(expect.objectContaining({ name: 'billing-system-delivery', status: 'up', tls: true }));
  });
});
