import { INestApplication } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { AddressInfo } from 'node:net';
import { Pool } from 'pg';
import pino from 'pino';
import { CaseDetails } from '@slidecharge/contracts';
import { buildOrderMessage, type OrderMessageOptions, type ParsedAck } from '@slidecharge/hl7';
import type { Logger } from '@slidecharge/messaging';
import { createServiceApp, ServiceRuntime } from '@slidecharge/service-kit';
import { asCaller, identityEnv, KEEP_PUBLISHED_OUTBOX, MllpTestClient, serviceDatabaseUrl, testEnv } from '@slidecharge/testing';
import { AppModule } from '../src/app.module';
import { loadServiceConfig } from '../src/config';
import { Hl7RetentionService } from '../src/hl7/hl7-retention.service';
import { MllpListener } from '../src/hl7/mllp-listener';
import { ACCESSION_SERVICE } from '../src/openapi';

/**
 * The inputs of the security review (issue #7), each with its exact bytes, against the in-process
 * accession service on real MLLP, Postgres and Kafka: fields over ~2.7 KB and control characters
 * (once AR 207 "send again", forever), a cancel naming another patient (once answered with the case's
 * MRN), the largest case the contract accepts (once an ~884 KB event), our own failure (still 207),
 * retention of the stored messages, and the log: no line may carry the message text or a patient id.
 */
const { databaseUrl, kafkaEnv } = testEnv();
const config = loadServiceConfig({
  ...kafkaEnv,
  DATABASE_URL: serviceDatabaseUrl('accession'),
  ...identityEnv(),
  // Every line is captured (see captureLogs), so every level is written.
  LOG_LEVEL: 'debug',
  SLIDECHARGE_ENV: 'development',
  ACCESSION_MLLP_PORT: '0',
  ...KEEP_PUBLISHED_OUTBOX,
});
const pool = new Pool({ connectionString: databaseUrl });

let app: INestApplication;
let mllpPort: number;
let baseUrl: string;
let logs: { lines: string[]; stop: () => void };

/**
 * Every log line the service writes from now on, kept in memory instead of printed. The service's
 * child loggers (intake, listener, cases) share the root logger's destination (pino's stream symbol),
 * which is swapped here: the only hook pino offers without changing how services build their logger.
 */
function captureLogs(logger: Logger): { lines: string[]; stop: () => void } {
  const root = logger as unknown as Record<symbol, { write: (line: string) => unknown }>;
  const original = root[pino.symbols.streamSym];
  const lines: string[] = [];
  root[pino.symbols.streamSym] = { write: (line: string) => lines.push(line) };
  return {
    lines,
    stop: () => {
      root[pino.symbols.streamSym] = original as { write: (line: string) => unknown };
    },
  };
}

beforeAll(async () => {
  // As in production (JSON body limit 2 MB): the largest case must reach the size check, not the body parser.
  app = await createServiceApp(AppModule.forRoot(config), ACCESSION_SERVICE, { logger: false });
  logs = captureLogs(app.get(ServiceRuntime).logger);
  await app.init();
  await app.listen(0, '127.0.0.1');
  mllpPort = app.get(MllpListener).port ?? 0;
  baseUrl = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
});

afterAll(async () => {
  await app?.close();
  logs?.stop();
  await pool.end();
});

/** Every HTTP request of this file goes through here (one place to add a bearer token). */
/** A test client with every role: it sends cases (service) and reads the HL7 message log (integration-admin). */
const http = () => asCaller(baseUrl, 'all-roles');

const run = randomUUID().slice(0, 8).toUpperCase();
let counter = 0;
const newAccession = () => `HX${run}-${++counter}`;
const newControlId = () => `HX${run}${++counter}`;

/** PHI the messages carry and no log line may: name (PID-5), birth date (PID-7), address (PID-11), and each MRN used. */
const PHI = { name: 'Zzphiname', birthDate: '19610203', address: '42 Secretlane St' };
const mrns: string[] = [];

function caseOf(accession: string): CaseDetails {
  const patientId = `MRN-${accession}`;
  mrns.push(patientId);
  return CaseDetails.parse({
    patientId,
    payer: { payerId: 'AETNA', name: 'Aetna' },
    collectionDate: '2026-11-20',
    diagnoses: ['C50.911'],
    specimens: [{ specimenId: 'A', primaryCpt: '88305', units: 1 }],
    slides: [{ barcode: `${accession}-A1-1`, specimenId: 'A', block: 'A1' }],
  });
}

/** An ORM^O01 whose PID also carries a name, a birth date and an address (read by nobody, stored in raw). */
function order(accession: string, options: Partial<OrderMessageOptions> = {}): string {
  const text = buildOrderMessage({ controlId: newControlId(), accessionNumber: accession, case: caseOf(accession), sendingApplication: `HX${run}`, ...options });
  return text.replace(/\rPID\|1\|\|([^\r]*)/, `\rPID|1||$1||${PHI.name}^Janet||${PHI.birthDate}|F|||${PHI.address}^^Springfield^IL`);
}

async function send(message: string | Buffer): Promise<ParsedAck> {
  const client = await MllpTestClient.connect(mllpPort);
  try {
    return (await client.send(typeof message === 'string' ? message : message.toString('utf8'))).ack;
  } finally {
    client.close();
  }
}

const where = (ack: ParsedAck) => ack.errors.map((e) => `${e.location}:${e.code}`);

/** The stored message that carries this accession in its raw text (its key columns may be empty). */
async function storedWith(accession: string) {
  const { rows } = await pool.query(
    'SELECT id, outcome, ack_code, control_id, sending_application, length(accession_number) AS accession_length, raw FROM accession.hl7_message WHERE raw LIKE $1 ORDER BY id',
    [`%|${accession}-A1-1|%`],
  );
  return rows as { id: number; outcome: string; ack_code: string; control_id: string | null; sending_application: string; accession_length: number | null; raw: string }[];
}

const LONG = 'X'.repeat(3000);

describe('fields over ~2.7 KB and control characters: a final AE/AR naming the field (once AR 207, resent forever)', () => {
  /** [what, MSA-1, ERR-2:ERR-3, outcome, the change to a valid order]. */
  const inputs: [string, string, string, string, (m: string) => string][] = [
    ['MSH-10 of 3000 characters', 'AR', 'MSH^1^10:102', 'rejected', (m) => m.replace(/^(MSH(\|[^|]*){8})\|[^|]*\|/, `$1|${LONG}|`)],
    ['MSH-3 of 3000 characters', 'AR', 'MSH^1^3:102', 'rejected', (m) => m.replace(/^MSH\|\^~\\&\|[^|]*\|/, `MSH|^~\\&|${LONG}|`)],
    ['MSH-10 with \\X00\\', 'AR', 'MSH^1^10^^1:102', 'rejected', (m) => m.replace(/^(MSH(\|[^|]*){8})\|([^|]*)\|/, '$1|$3\\X00\\|')],
    ['PID-3 of 3000 characters', 'AE', 'PID^1^3:102', 'invalid', (m) => m.replace(/\rPID\|1\|\|MRN-[^^]*/, `\rPID|1||${LONG}`)],
    ['ORC-3 of 3000 characters', 'AE', 'ORC^1^3:102', 'invalid', (m) => m.replace(/\rORC\|NW\|([^|]*)\|[^|\r]*/, `\rORC|NW|$1|${LONG}`)],
    ['\\X00\\ in PID-3', 'AE', 'PID^1^3^^1:102', 'invalid', (m) => m.replace(/\rPID\|1\|\|MRN-/, '\rPID|1||MRN\\X00\\-')],
    ['a raw NUL byte in PID-3', 'AE', 'PID^1^3^^1:102', 'invalid', (m) => m.replace(/\rPID\|1\|\|MRN-/, '\rPID|1||MRN\u0000-')],
    ['\\X0B\\ (the MLLP start byte) in PID-3', 'AE', 'PID^1^3^^1:102', 'invalid', (m) => m.replace(/\rPID\|1\|\|MRN-/, '\rPID|1||MRN\\X0B\\-')],
    ['\\X1C\\ (the MLLP end byte) in PID-3', 'AE', 'PID^1^3^^1:102', 'invalid', (m) => m.replace(/\rPID\|1\|\|MRN-/, '\rPID|1||MRN\\X1C\\-')],
  ];

  it.each(inputs)('%s -> %s %s, stored as %s with its ACK, the same answer when resent', async (_what, code, location, outcome, change) => {
    const accession = newAccession();
    const message = change(order(accession));
    const first = await send(message);
    expect(first.code).toBe(code);
    expect(where(first)).toEqual([location]);
    expect(first.errors.every((e) => e.code !== '207')).toBe(true);
    const again = await send(message);
    expect([again.code, ...where(again)]).toEqual([code, location]);

    const stored = await storedWith(accession);
    expect(stored[0]).toMatchObject({ outcome, ack_code: code });
    // Key columns hold no value over its HL7 length: an MSH-10 or MSH-3 that is refused holds no key at all.
    expect(stored[0]?.control_id?.length ?? 0).toBeLessThanOrEqual(199);
    expect(stored[0]?.sending_application.length).toBeLessThanOrEqual(227);
    expect(stored[0]?.accession_length ?? 0).toBeLessThanOrEqual(199);
    if (location.startsWith('MSH')) expect(stored.map((s) => s.control_id)).toEqual([null, null]);
    const detail = (await http().get(`/hl7/messages/${stored[0]?.id}`).expect(200)).body;
    expect(detail.ackCode).toBe(code);
    expect(detail.errors[0]).toMatchObject({ code: '102' });
  });

  it('a NUL byte is stored visibly as its HL7 escape \\X00\\, the rest of the message as received', async () => {
    const accession = newAccession();
    const message = order(accession).replace(/\rPID\|1\|\|MRN-/, '\rPID|1||MRN\u0000-');
    await send(message);
    const [stored] = await storedWith(accession);
    expect(stored?.raw).toBe(message.replace('\u0000', '\\X00\\'));
  });

  it('after all of them the listener and the database are fine: a normal order gets AA (canary)', async () => {
    expect((await send(order(newAccession()))).code).toBe('AA');
    expect((await http().get('/health/ready').expect(200)).body.status).toBe('up');
  });
});

describe('our own failure is the only AR 207 (send again)', () => {
  const prefix = `FAIL${run}`;

  beforeAll(async () => {
    // A database failure on demand: inserts of this run's FAIL messages into hl7_message are refused.
    await pool.query(`
      CREATE OR REPLACE FUNCTION accession.test_refuse_${run.toLowerCase()}() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.control_id LIKE '${prefix}%' THEN RAISE EXCEPTION 'test: the database refuses this row'; END IF;
        RETURN NEW;
      END $$`);
    await pool.query(`CREATE TRIGGER test_refuse_${run.toLowerCase()} BEFORE INSERT ON accession.hl7_message FOR EACH ROW EXECUTE FUNCTION accession.test_refuse_${run.toLowerCase()}()`);
  });

  afterAll(async () => {
    await pool.query(`DROP TRIGGER IF EXISTS test_refuse_${run.toLowerCase()} ON accession.hl7_message`);
    await pool.query(`DROP FUNCTION IF EXISTS accession.test_refuse_${run.toLowerCase()}()`);
  });

  it('the message cannot be stored: AR 207, nothing applied, and the log says so without the message', async () => {
    const accession = newAccession();
    const ack = await send(order(accession, { controlId: `${prefix}-1` }));
    expect(ack.code).toBe('AR');
    expect(where(ack)).toEqual(['MSH^1^0:207']);
    await http().get(`/cases/${accession}`).expect(404);
    const line = logs.lines.find((l) => l.includes('could not store the HL7 message either') && l.includes(`${prefix}-1`));
    expect(line).toBeDefined();
    expect(JSON.parse(line ?? '{}')).toMatchObject({ level: 'error', controlId: `${prefix}-1`, err: { message: expect.stringContaining('test: the database refuses this row') } });
  });
});

describe('a cancel naming the wrong patient is refused without telling whose case it is', () => {
  it('HL7: AE 204 at PID-3; neither the ACK, the stored record nor the log carries the case\'s MRN', async () => {
    const accession = newAccession();
    expect((await send(order(accession))).code).toBe('AA');
    const cancel = buildOrderMessage({ controlId: newControlId(), accessionNumber: accession, orderControl: 'CA', patientId: 'SOMEONE-ELSE', sendingApplication: `HX${run}` });
    const client = await MllpTestClient.connect(mllpPort);
    const { text, ack } = await client.send(cancel).finally(() => client.close());
    expect(ack.code).toBe('AE');
    expect(where(ack)).toEqual(['PID^1^3^1:204']);
    expect(ack.errors[0]?.message).toBe(`the patient id sent does not match the patient of case ${accession}; check the accession number and the patient id (nothing was cancelled)`);
    expect(text).not.toContain(`MRN-${accession}`);
    const [stored] = (await http().get('/hl7/messages').query({ accession, ackCode: 'AE' }).expect(200)).body.items;
    const detail = (await http().get(`/hl7/messages/${stored.id}`).expect(200)).body;
    expect(JSON.stringify({ reason: detail.reason, errors: detail.errors, ack: detail.ack })).not.toContain(`MRN-${accession}`);
    expect((await http().get(`/cases/${accession}`).expect(200)).body.status).toBe('active');
  });

  it('REST: a cancel with another patientId is 409 patient_mismatch naming no patient; with the right one it cancels', async () => {
    const accession = newAccession();
    await http().post('/cases').send({ accessionNumber: accession, ...caseOf(accession) }).expect(201);
    const refused = await http().post(`/cases/${accession}/cancel`).send({ reason: 'ordered in error', patientId: 'SOMEONE-ELSE' }).expect(409);
    expect(refused.body).toEqual({
      error: 'patient_mismatch',
      message: `the patient id sent does not match the patient of case ${accession}; check the accession number and the patient id (nothing was cancelled)`,
    });
    expect(JSON.stringify(refused.body)).not.toContain(`MRN-${accession}`);
    const cancelled = await http().post(`/cases/${accession}/cancel`).send({ reason: 'ordered in error', patientId: `MRN-${accession}` }).expect(200);
    expect(cancelled.body).toMatchObject({ status: 'cancelled', version: 2 });
  });
});

describe('the largest case: capped at ACCESSION_MAX_CASE_BYTES (256 KiB) as a case event, far below Kafka\'s 1 MiB', () => {
  /** What the contract allows at most: 52 specimens with 200-character descriptions, 2000 slides with 64-character barcodes and 16/32-character block/stain in 3-byte characters. */
  function largestCase(accession: string): CaseDetails {
    const letters = (i: number) => `${String.fromCharCode(65 + (i % 26))}${i >= 26 ? String.fromCharCode(65 + Math.floor(i / 26) - 1) : ''}`;
    const specimens = Array.from({ length: 52 }, (_, i) => ({ specimenId: letters(i), primaryCpt: '88305', units: 1, description: '組'.repeat(200) }));
    const slides = Array.from({ length: 2000 }, (_, i) => ({
      barcode: `${accession}-${String(i).padStart(5, '0')}-`.padEnd(64, 'B'),
      specimenId: letters(i % 52),
      block: '塊'.repeat(16),
      stain: '染'.repeat(32),
    }));
    return CaseDetails.parse({ ...caseOf(accession), specimens, slides });
  }

  it('REST: POST and PUT answer 413 case_too_large with the size and the limit; nothing is stored or published', async () => {
    const accession = newAccession();
    const body = { accessionNumber: accession, ...largestCase(accession) };
    const posted = await http().post('/cases').send(body).expect(413);
    expect(posted.body).toEqual({
      error: 'case_too_large',
      message: expect.stringMatching(new RegExp(`^case ${accession} is \\d+ bytes as a case event; at most 262144 bytes are accepted`)),
      sizeBytes: expect.any(Number),
      limitBytes: 262_144,
    });
    // ~560 KB in 3-byte characters (with JSON-escaped control characters, which the HTTP layer refuses now, it was ~884 KB).
    expect(posted.body.sizeBytes).toBeGreaterThan(500_000);
    expect(posted.body.sizeBytes).toBeLessThan(1_048_576);
    await http().put(`/cases/${accession}`).send(largestCase(accession)).expect(413);
    await http().get(`/cases/${accession}`).expect(404);
    const { rows } = await pool.query('SELECT count(*)::int AS n FROM accession.outbox WHERE key = $1', [accession]);
    expect(rows[0].n).toBe(0);
  });

  it('HL7: an order with 2000 slides (SAC) over the limit -> AE 102 at ORC-3 (final), nothing stored; a normal case still goes through', async () => {
    const accession = newAccession();
    const big = largestCase(accession);
    // HL7 carries no stain and ORM^O01 specimens are A, B, C... in order: 26 specimens, 2000 slides.
    const specimens = big.specimens.slice(0, 26);
    const hl7Case = CaseDetails.parse({ ...big, specimens, slides: big.slides.map((s, i) => ({ barcode: s.barcode, specimenId: specimens[i % 26]?.specimenId, block: s.block })) });
    const message = buildOrderMessage({ controlId: newControlId(), accessionNumber: accession, case: hl7Case, sendingApplication: `HX${run}` });
    const ack = await send(message);
    expect(ack.code).toBe('AE');
    expect(where(ack)).toEqual(['ORC^1^3:102']);
    expect(ack.errors[0]?.message).toMatch(new RegExp(`^case ${accession} is \\d+ bytes as a case event; at most 262144 bytes are accepted`));
    await http().get(`/cases/${accession}`).expect(404);
    expect((await send(order(newAccession()))).code).toBe('AA');
  });
});

describe('retention of hl7_message (ACCESSION_HL7_RETENTION_DAYS, default 90)', () => {
  it('the purge deletes the messages received more than 90 days ago, keeps the others, and logs the count', async () => {
    const old = newAccession();
    const recent = newAccession();
    await send(order(old));
    await send(order(recent));
    const [oldRow] = await storedWith(old);
    await pool.query("UPDATE accession.hl7_message SET received_at = now() - interval '91 days' WHERE id = $1", [oldRow?.id]);
    const deleted = await app.get(Hl7RetentionService).purge();
    expect(deleted).toBeGreaterThanOrEqual(1);
    expect(await storedWith(old)).toEqual([]);
    expect(await storedWith(recent)).toHaveLength(1);
    const line = logs.lines.map((l) => JSON.parse(l) as { msg: string; deleted?: number }).find((l) => l.msg.startsWith(`purged ${deleted} HL7 messages older than 90 days`));
    expect(line).toMatchObject({ deleted, retentionDays: 90 });
  });
});

describe('the log of everything above (run last)', () => {
  it('has lines for the messages, and none carries the message text, a name, a birth date, an address or a patient id', () => {
    expect(logs.lines.filter((l) => l.includes('"component":"hl7-intake"')).length).toBeGreaterThan(20);
    const all = logs.lines.join('\n');
    for (const phi of [PHI.name, PHI.birthDate, PHI.address, ...mrns]) expect(all).not.toContain(phi);
    expect(all).not.toMatch(/"raw":/);
    expect(all).not.toContain('PID|');
  });
});
