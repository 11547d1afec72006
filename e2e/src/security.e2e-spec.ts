import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { CaseDetails, Charge, DEAD_LETTER_TOPIC, DeadLetter, EventEnvelope } from '@slidecharge/contracts';
import { buildOrderMessage, type ParsedAck } from '@slidecharge/hl7';
import { freePort, isoDaysAgo, makeTestPki, MllpTestClient, nestedArrays, principalKafkaConnection, ReadMessage, ServiceName, ServiceProcess, TestCaller, testEnv, testKafka, tokenFor, TopicReader, type TestPki, WORKSPACE_ROOT } from '@slidecharge/testing';

/** Collected yesterday: never an archived specimen, whatever the day of the run. */
const COLLECTED = isoDaysAgo(1);

/**
 * slidecharge as a hospital security reviewer and an attacker on the same network would try it: the
 * four services as separate processes in production mode (each with its own Kafka principal over
 * SASL_SSL and its own Postgres role, tokens from the real identity provider), accession's MLLP port
 * over mutual TLS with a sender allow-list. The hostile inputs of the review go in; afterwards every
 * service is ready, a normal case still gets its 0753T, and no log line holds a credential or the
 * patient's identity.
 */
const LOG_DIR = 'e2e-security-logs';
const NAMES: ServiceName[] = ['accession', 'scanner-events', 'qc', 'billing'];
const services = {} as Record<ServiceName, ServiceProcess>;
const run = randomUUID().slice(0, 8).toUpperCase();
/** The canary patient: none of this may appear in any log line. */
const PATIENT = { mrn: `MRN-SEC${run}`, family: `ZZFAMILY${run}`, given: 'QUINCY', birthDate: '19470315', street: `${run} ELM STREET` };
const LIS = { application: 'PATHLIS', facility: 'PATHLAB' };

let pki: TestPki;
let mllpPort: number;
let apiKey = '';
let reader: TopicReader;

type ChargeMessage = EventEnvelope<'charge.posted', Charge>;

beforeAll(async () => {
  rmSync(join(WORKSPACE_ROOT, 'tmp', LOG_DIR), { recursive: true, force: true });
  pki = makeTestPki('security-e2e', ['lis-pathlab']);
  const senders = join(pki.dir, 'senders.json');
  writeFileSync(senders, JSON.stringify({ senders: [{ name: 'PathLab LIS', certificate: { subjectCN: 'lis-pathlab' }, sendingApplications: [LIS.application], sendingFacilities: [LIS.facility] }] }));
  mllpPort = await freePort();
  const env = { SLIDECHARGE_ENV: 'production', LOG_LEVEL: 'info' };
  const extra: Partial<Record<ServiceName, Record<string, string>>> = {
    accession: {
      ACCESSION_MLLP_PORT: String(mllpPort),
      ACCESSION_MLLP_TLS_CERT_FILE: pki.server.certFile,
      ACCESSION_MLLP_TLS_KEY_FILE: pki.server.keyFile,
      ACCESSION_MLLP_TLS_CA_FILE: pki.caFile,
      ACCESSION_MLLP_TLS_CLIENT_AUTH: 'require',
      ACCESSION_MLLP_SENDERS_FILE: senders,
    },
  };
  const ports = await Promise.all(NAMES.map(() => freePort()));
  await Promise.all(NAMES.map(async (name, i) => (services[name] = await new ServiceProcess(name, ports[i] as number, { ...env, ...extra[name] }, LOG_DIR).start())));
  const created = await call('POST', 'scanner-events', '/api-keys', 'integration-admin', { name: `security e2e middleware ${run}`, scopes: ['scan-events:write'] });
  expect(created.status).toBe(201);
  apiKey = (created.body as { apiKey: string }).apiKey;
  reader = await new TopicReader(testEnv().kafkaBrokers, ['billing.charges.v1', DEAD_LETTER_TOPIC]).start();
}, 240_000);

afterAll(async () => {
  await reader?.stop();
  await Promise.all(Object.values(services).map((s) => s.stop()));
});

// ---- how each party reaches the services ----

type Who = TestCaller | 'scanner-middleware' | 'nobody';

async function call(method: string, service: ServiceName, path: string, who: Who, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: unknown }> {
  const credential: Record<string, string> =
    who === 'nobody' ? {} : who === 'scanner-middleware' ? { 'x-api-key': apiKey } : { authorization: `Bearer ${await tokenFor(who)}` };
  const res = await fetch(`${services[service].url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...credential, ...headers },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body: parsed };
}

const controlId = () => `SEC${randomUUID().replace(/-/g, '').slice(0, 16).toUpperCase()}`;

function caseOf(accession: string, patientId = PATIENT.mrn): CaseDetails {
  return CaseDetails.parse({
    patientId,
    payer: { payerId: 'AETNA', name: 'Aetna' },
    collectionDate: COLLECTED,
    diagnoses: ['C50.911'],
    specimens: [{ specimenId: 'A', primaryCpt: '88305', units: 1 }],
    slides: [{ barcode: `${accession}-A1-1`, specimenId: 'A' }],
  });
}

/**
 * An order as the LIS sends it, with the patient's name, birth date and address in PID-5, -7, -11.
 * `rawPid3` puts bytes into PID-3 as they are (escape sequences, over-long values), past the builder.
 */
function order(accession: string, over: { sendingApplication?: string; rawPid3?: string; cancelFor?: string } = {}): string {
  const message = buildOrderMessage({
    controlId: controlId(),
    accessionNumber: accession,
    sendingApplication: over.sendingApplication ?? LIS.application,
    sendingFacility: LIS.facility,
    ...(over.cancelFor ? { orderControl: 'CA', patientId: over.cancelFor, cancelReason: 'ordered in error' } : { case: caseOf(accession) }),
  });
  return message
    .split('\r')
    .map((segment) => {
      if (!segment.startsWith('PID|')) return segment;
      const fields = segment.split('|');
      while (fields.length < 12) fields.push('');
      if (over.rawPid3 !== undefined) fields[3] = over.rawPid3;
      fields[5] = `${PATIENT.family}^${PATIENT.given}`;
      fields[7] = PATIENT.birthDate;
      fields[11] = `${PATIENT.street}^^SPRINGFIELD^IL^62701`;
      return fields.join('|');
    })
    .join('\r');
}

/** One message over mutual TLS as the LIS with its certificate; the ACK. */
async function sendAsLis(message: string): Promise<ParsedAck> {
  const lis = pki.clients['lis-pathlab'];
  if (!lis) throw new Error('no LIS certificate');
  const client = await MllpTestClient.connectTls(mllpPort, { ca: pki.ca, cert: lis.cert, key: lis.key });
  try {
    return (await client.send(message)).ack;
  } finally {
    client.close();
  }
}

const scan = (barcode: string) => {
  const scanId = randomUUID();
  return {
    eventId: randomUUID(),
    eventType: 'scan.completed',
    occurredAt: new Date().toISOString(),
    slideBarcode: barcode,
    scannerId: 'GT450-SEC',
    scanId,
    purpose: 'diagnostic',
    image: { imageId: scanId, focusScore: 0.93, tissueCoverage: 0.41, fileSizeBytes: 1_600_000_000, barcodeRead: true, stitchingErrors: 0 },
  };
};

const chargesOf = (accession: string) => (m: ReadMessage) =>
  m.topic === 'billing.charges.v1' && (m.value as ChargeMessage).type === 'charge.posted' && (m.value as ChargeMessage).data?.accessionNumber === accession;

// ---- the attacker on the network ----

describe('machines must authenticate', () => {
  it('Kafka refuses a client without credentials, and a principal writing a topic it does not own', async () => {
    const [host, port] = (testEnv().kafkaBrokers.split(',')[0] as string).split(':');
    const anonymous = new Kafka({ clientId: 'intruder', brokers: [`${host}:${port}`], logLevel: logLevel.NOTHING, connectionTimeout: 3000, retry: { retries: 0 } }).producer();
    await expect(anonymous.connect()).rejects.toThrow();
    const middleware = testKafka('e2e-middleware', principalKafkaConnection('scanner-middleware')).producer();
    await middleware.connect();
    try {
      await expect(middleware.send({ topic: 'scan.events.v1', messages: [{ key: 'x', value: '{}' }] })).rejects.toThrow(/Not authorized to access topics/);
      await expect(middleware.send({ topic: 'lis.case-events.v1', messages: [{ key: 'x', value: '{}' }] })).rejects.toThrow(/Not authorized to access topics/);
    } finally {
      await middleware.disconnect();
    }
  });

  it('MLLP refuses a client without a certificate and a sender its certificate does not allow (AR 204)', async () => {
    const refused = await MllpTestClient.connectTls(mllpPort, { ca: pki.ca }).then(
      async (client) => {
        client.write(Buffer.from(`\x0b${order(`SEC${run}-X`)}\x1c\r`));
        const answered = await client.nextAck(3000).then(() => true, () => false);
        client.close();
        return !answered;
      },
      () => true,
    );
    expect(refused).toBe(true);
    const spoofed = await sendAsLis(order(`SEC${run}-SPOOF`, { sendingApplication: 'OTHERLIS' }));
    expect(spoofed.code).toBe('AR');
    expect(spoofed.errors[0]).toMatchObject({ code: '204' });
  });
});

// ---- the inputs of the review ----

describe('hostile inputs get a clear answer and stop nothing', () => {
  it('HTTP: NUL, lone surrogates, deep JSON and an oversized case are refused with 4xx naming the problem', async () => {
    const nul = await call('POST', 'accession', '/cases', 'lis-integration', { accessionNumber: `SEC${run}-NUL`, ...caseOf(`SEC${run}-NUL`), patientId: 'MRN\u0000' });
    expect(nul).toMatchObject({ status: 400, body: { error: 'invalid_text', message: 'body.patientId contains U+0000 (NUL) at index 3' } });
    const surrogate = await call('POST', 'scanner-events', '/scan-events', 'scanner-middleware', '{"eventId":"a\\ud800","eventType":"scan.completed"}');
    expect(surrogate).toMatchObject({ status: 400, body: { error: 'invalid_text' } });
    const deepPolicy = await call('POST', 'billing', '/policy-sets', 'billing-admin', `{"policySet":${nestedArrays(5000)},"comment":"deep"}`);
    expect(deepPolicy).toMatchObject({ status: 400, body: { error: 'json_too_deep' } });
    const deepScan = await call('POST', 'scanner-events', '/scan-events', 'scanner-middleware', `{"events":${nestedArrays(5000)}}`, { 'idempotency-key': randomUUID() });
    expect(deepScan).toMatchObject({ status: 400, body: { error: 'json_too_deep' } });
    const release = await call('POST', 'billing', `/charges/${randomUUID()}/release`, 'billing-reviewer', { justification: 'ok\u0000 really ok' });
    expect(release).toMatchObject({ status: 400, body: { error: 'invalid_text' } });
    const accession = `SEC${run}-BIG`;
    const slides = Array.from({ length: 2000 }, (_, i) => ({ barcode: `${accession}-A1-${String(i).padStart(4, '0')}-${'X'.repeat(40)}`, specimenId: 'A', block: 'B'.repeat(16), stain: 'S'.repeat(32) }));
    const big = await call('POST', 'accession', '/cases', 'lis-integration', { accessionNumber: accession, ...caseOf(accession), slides });
    expect(big).toMatchObject({ status: 413, body: { error: 'case_too_large' } });
  });

  it('HL7: over-long and control-character fields get a final AE 102; a cancel naming another patient is refused without naming either', async () => {
    const accession = `SEC${run}-HL7`;
    const long = await sendAsLis(order(accession, { rawPid3: `MRN-${'9'.repeat(3000)}^^^HOSP^MR` }));
    expect(long.code).toBe('AE');
    expect(long.errors[0]).toMatchObject({ code: '102' });
    const nul = await sendAsLis(order(accession, { rawPid3: 'MRN\\X00\\1^^^HOSP^MR' }));
    expect(nul).toMatchObject({ code: 'AE', errors: [expect.objectContaining({ code: '102' })] });
    const framing = await sendAsLis(order(accession, { rawPid3: 'MRN\\X0B\\1^^^HOSP^MR' }));
    expect(framing).toMatchObject({ code: 'AE', errors: [expect.objectContaining({ code: '102' })] });
    expect((await sendAsLis(order(accession))).code).toBe('AA');
    const wrongPatient = await sendAsLis(order(accession, { cancelFor: 'MRN-SOMEONE-ELSE' }));
    expect(wrongPatient.code).toBe('AE');
    expect(JSON.stringify(wrongPatient)).not.toContain(PATIENT.mrn);
    expect(JSON.stringify(wrongPatient)).not.toContain('MRN-SOMEONE-ELSE');
  });

  it('Kafka: a ~600 KB invalid message and a NUL on the ingress topic become dead letters that fit the broker; the partition moves on', async () => {
    const middleware = testKafka('e2e-middleware-bad', principalKafkaConnection('scanner-middleware')).producer();
    await middleware.connect();
    const key = `SEC${run}-DLQ`;
    try {
      await middleware.send({ topic: 'scanner.ingress.v1', messages: [{ key, value: `{"eventId":"${key}-big","note":"${'x'.repeat(600_000)}"` }] });
      await middleware.send({ topic: 'scanner.ingress.v1', messages: [{ key, value: JSON.stringify({ ...scan(`${key}-A1-1`), eventId: `${key}-nul`, scannerId: 'GT\u0000450' }) }] });
    } finally {
      await middleware.disconnect();
    }
    const letters = await reader.waitFor((m) => m.topic === DEAD_LETTER_TOPIC && (m.value as DeadLetter).source?.key === key, (l) => l.length >= 2, 60_000);
    // One dead letter per message; the two may reach the topic in either order (each is dead-lettered on
    // its own), so they are told apart by the offset of the message they carry (the big one was sent first).
    const [big, nul] = letters.map((m) => m.value as DeadLetter).sort((a, b) => Number(BigInt(a.source.offset) - BigInt(b.source.offset)));
    expect(big).toMatchObject({ reason: 'invalid-json', service: 'scanner-events', originalStored: expect.objectContaining({ table: 'dead_letter' }) });
    expect(JSON.stringify(big).length).toBeLessThan(1024 * 1024);
    expect(nul).toMatchObject({ reason: 'schema-violation', errors: [expect.objectContaining({ path: 'scannerId' })] });
  });

  it('an address sending 30 wrong API keys is throttled (429); probes still answer', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 30; i++) {
      const res = await fetch(`${services.qc.url}/qc/rules`, { headers: { 'x-api-key': `sck_wrong${i}00_${'A'.repeat(43)}` } });
      statuses.push(res.status);
    }
    expect(statuses.slice(0, 20).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(-5)).toEqual([429, 429, 429, 429, 429]);
    expect((await fetch(`${services.qc.url}/health/ready`)).status).toBe(200);
  });

  it('answers carry security headers and no X-Powered-By', async () => {
    const res = await fetch(`${services.billing.url}/review-queue`, { headers: { authorization: `Bearer ${await tokenFor('ops-viewer')}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-powered-by')).toBeNull();
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(res.headers.get('cache-control')).toBe('no-store');
  });
});

// ---- afterwards ----

describe('after all of it', () => {
  it('every service is ready and a normal case still gets its 0753T (an HL7 order over mutual TLS, a scan with an oversized correlation id)', async () => {
    const accession = `SEC${run}-CANARY`;
    expect((await sendAsLis(order(accession))).code).toBe('AA');
    const scanned = await call('POST', 'scanner-events', '/scan-events', 'scanner-middleware', scan(`${accession}-A1-1`), { 'x-correlation-id': 'c'.repeat(300) });
    expect(scanned.status).toBe(202);
    const [charge] = await reader.waitFor(chargesOf(accession), (l) => l.length >= 1, 90_000);
    expect((charge?.value as ChargeMessage).data).toMatchObject({ code: '0753T', primaryCode: '88305', units: 1 });
    for (const name of NAMES) expect((await fetch(`${services[name].url}/health/ready`)).status).toBe(200);
  });

  it('no log line holds the API key, a token, or the patient name, birth date, address or MRN', async () => {
    await Promise.all(Object.values(services).map((s) => s.stop()));
    const tokens = await Promise.all((['lis-integration', 'integration-admin', 'billing-admin', 'billing-reviewer', 'ops-viewer'] as TestCaller[]).map((c) => tokenFor(c)));
    // The key is sck_<id>_<secret>, and the secret itself may hold '_': its secret part is all after the second '_'.
    const keySecret = apiKey.split('_').slice(2).join('_');
    expect(keySecret.length).toBeGreaterThanOrEqual(20);
    const secrets = [apiKey, keySecret, ...tokens, PATIENT.mrn, PATIENT.family, PATIENT.birthDate, PATIENT.street];
    const dir = join(WORKSPACE_ROOT, 'tmp', LOG_DIR);
    const files = readdirSync(dir).filter((f) => f.endsWith('.log'));
    expect(files.sort()).toEqual(NAMES.map((n) => `${n}.log`).sort());
    const found: string[] = [];
    for (const file of files) {
      const text = readFileSync(join(dir, file), 'utf8');
      expect(text.length).toBeGreaterThan(0);
      for (const secret of secrets) if (text.includes(secret)) found.push(`${file} holds ${secret.slice(0, 12)}...`);
    }
    expect(found).toEqual([]);
  });
});
