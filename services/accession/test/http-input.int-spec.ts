import { randomUUID } from 'node:crypto';
import { NestExpressApplication } from '@nestjs/platform-express';
import { Pool } from 'pg';
import { createServiceApp, ServiceRuntime } from '@slidecharge/service-kit';
import {
  asCaller,
  eventually,
  identityEnv,
  KEEP_PUBLISHED_OUTBOX,
  ReadMessage,
  serviceDatabaseUrl,
  testEnv,
  TopicReader,
} from '@slidecharge/testing';
import { AppModule } from '../src/app.module';
import { loadServiceConfig } from '../src/config';
import { ACCESSION_SERVICE } from '../src/openapi';

/**
 * Bad HTTP input on accession (issue #7), in-process as production builds it (createServiceApp) on the
 * real Postgres and Kafka: each input the security reviewer sent gets a clear 4xx naming the field,
 * nothing is stored or published for it, a database failure is a generic 500, and a good case still
 * goes through afterwards.
 */
const { databaseUrl, kafkaBrokers, kafkaEnv } = testEnv();
const TOPIC = 'lis.case-events.v1';
const pool = new Pool({ connectionString: databaseUrl });
let app: NestExpressApplication;
let reader: TopicReader;

beforeAll(async () => {
  reader = await new TopicReader(kafkaBrokers, [TOPIC]).start();
  const config = loadServiceConfig({ ...kafkaEnv, DATABASE_URL: serviceDatabaseUrl('accession'), LOG_LEVEL: 'warn', ...identityEnv(), ACCESSION_MLLP_ENABLED: 'false', ...KEEP_PUBLISHED_OUTBOX });
  app = await createServiceApp(AppModule.forRoot(config), ACCESSION_SERVICE, { logger: false });
  await app.init();
}, 60_000);

afterAll(async () => {
  await app?.close();
  await reader?.stop();
  await pool.end();
});

/** Every request of this file comes from the LIS integration (role service), signed in with the identity provider. */
const api = () => asCaller(app.getHttpServer(), 'lis-integration');

const run = randomUUID().slice(0, 8).toUpperCase();
let counter = 0;
const newAccession = () => `HI${run}-${++counter}`;

function caseBody(accessionNumber: string, over: Record<string, unknown> = {}) {
  return {
    accessionNumber,
    patientId: `MRN-${accessionNumber}`,
    payer: { payerId: 'MEDICARE', name: 'Medicare Part B' },
    collectionDate: '2026-11-20',
    diagnoses: ['C50.911'],
    specimens: [{ specimenId: 'A', primaryCpt: '88305', units: 1, description: 'left breast core' }],
    slides: [{ barcode: `${accessionNumber}-A1-1`, specimenId: 'A' }],
    ...over,
  };
}

async function storedRows(accessionNumber: string): Promise<number> {
  const { rows } = await pool.query(
    `SELECT (SELECT count(*)::int FROM accession."case" WHERE accession_number = $1) + (SELECT count(*)::int FROM accession.outbox WHERE key = $1) AS n`,
    [accessionNumber],
  );
  return rows[0].n as number;
}

describe('bad text in a case', () => {
  it('POST /cases with patientId "MRN\\u0000": 400 invalid_text naming body.patientId; nothing stored or published', async () => {
    const accession = newAccession();
    const wire = JSON.stringify(caseBody(accession, { patientId: 'MRN\u0000' }));
    expect(wire).toContain('"patientId":"MRN\\u0000"');
    const res = await api().post('/cases').set('content-type', 'application/json').send(wire).expect(400);
    expect(res.body).toEqual({
      error: 'invalid_text',
      message: 'body.patientId contains U+0000 (NUL) at index 3',
      issues: [{ path: 'patientId', message: 'contains U+0000 (NUL) at index 3' }],
    });
    expect(res.headers['x-correlation-id']).toEqual(expect.any(String));
    expect(await storedRows(accession)).toBe(0);
  });

  it('a lone surrogate deep in the case and a control character in a key are refused the same way', async () => {
    const accession = newAccession();
    const surrogate = await api()
      .post('/cases')
      .send(caseBody(accession, { specimens: [{ specimenId: 'A', primaryCpt: '88305', units: 1, description: 'core \ud800' }] }))
      .expect(400);
    expect(surrogate.body.issues).toEqual([{ path: 'specimens.0.description', message: 'contains U+D800 (unpaired surrogate) at index 5' }]);
    const key = await api()
      .post('/cases')
      .send({ ...caseBody(accession), 'note\u001c': 'x' })
      .expect(400);
    expect(key.body).toMatchObject({ error: 'invalid_text', message: 'body."note\\u001c" has a key that contains U+001C (control character) at index 4' });
    expect(await storedRows(accession)).toBe(0);
  });

  it('%00 in a path segment or a query value: 400 naming the parameter', async () => {
    const path = await api().get('/cases/S26-000123%00').expect(400);
    expect(path.body).toEqual({
      error: 'invalid_text',
      message: 'path.accessionNumber contains U+0000 (NUL) at index 10',
      issues: [{ path: 'path.accessionNumber', message: 'contains U+0000 (NUL) at index 10' }],
    });
    const query = await api().get('/cases?status=active%00').expect(400);
    expect(query.body.issues).toEqual([{ path: 'query.status', message: 'contains U+0000 (NUL) at index 6' }]);
  });
});

describe('a failure in the database', () => {
  const secretMrn = `MRN-SECRET-${run}`;
  const constraint = `http_input_it_${run.toLowerCase()}`;

  // A real Postgres refusal whose detail quotes the patient id ("Failing row contains (..., MRN-SECRET-...)"),
  // for this run's patient id only, so that other suites on the same database are not affected.
  beforeAll(() => pool.query(`ALTER TABLE accession."case" ADD CONSTRAINT ${constraint} CHECK (patient_id <> '${secretMrn}') NOT VALID`));
  afterAll(() => pool.query(`ALTER TABLE accession."case" DROP CONSTRAINT IF EXISTS ${constraint}`));

  it('answers 500 with a generic message and the correlation id, and logs neither the patient id nor the SQL', async () => {
    const logged = jest.spyOn(app.get(ServiceRuntime).logger, 'error');
    try {
      const res = await api().post('/cases').set('x-correlation-id', `it-db-${run}`).send(caseBody(newAccession(), { patientId: secretMrn })).expect(500);
      expect(res.body).toEqual({
        error: 'internal_error',
        message: `the request could not be completed; the error is logged under correlation id it-db-${run} (quote it to the operator, then retry)`,
        correlationId: `it-db-${run}`,
      });
      expect(res.headers['x-correlation-id']).toBe(`it-db-${run}`);
      const line = logged.mock.calls.find(([fields]) => JSON.stringify(fields).includes(`it-db-${run}`));
      expect(line?.[1]).toBe('request failed');
      expect(line?.[0]).toMatchObject({ method: 'POST', route: '/cases', err: { type: expect.stringMatching(/Prisma|DriverAdapter/) } });
      const text = JSON.stringify(line);
      expect(text).not.toContain(secretMrn);
      expect(text).not.toMatch(/INSERT|SELECT|Failing row/i);
    } finally {
      logged.mockRestore();
    }
  });
});

describe('the database going away under a request (a restart, a failover)', () => {
  const doomedMrn = `MRN-DOOMED-${run}`;
  const fn = `http_input_it_doom_${run.toLowerCase()}`;

  // The server ends the session mid-statement (SQLSTATE 57P01, as in a restart), for this run's patient id only.
  beforeAll(async () => {
    await pool.query(`CREATE FUNCTION accession.${fn}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF NEW.patient_id = '${doomedMrn}' THEN PERFORM pg_terminate_backend(pg_backend_pid()); PERFORM pg_sleep(1); END IF; RETURN NEW; END $$`);
    await pool.query(`CREATE TRIGGER ${fn} BEFORE INSERT ON accession."case" FOR EACH ROW EXECUTE FUNCTION accession.${fn}()`);
  });
  afterAll(async () => {
    await pool.query(`DROP TRIGGER IF EXISTS ${fn} ON accession."case"`);
    await pool.query(`DROP FUNCTION IF EXISTS accession.${fn}()`);
  });

  it('answers 503 with Retry-After and "send the same request again", stores nothing, and the next request is served', async () => {
    const accession = newAccession();
    const res = await api().post('/cases').set('x-correlation-id', `it-down-${run}`).send(caseBody(accession, { patientId: doomedMrn })).expect(503);
    expect(res.headers['retry-after']).toBe('5');
    expect(res.body).toEqual({ error: 'service_unavailable', message: expect.stringContaining('send the same request again'), correlationId: `it-down-${run}` });
    await api().get(`/cases/${accession}`).expect(404);
    await api().post('/cases').send(caseBody(newAccession())).expect(201);
  });

  it('gives each dropped connection back: more dropped transactions than the pool has connections, then requests are still served', async () => {
    // Prisma's pg adapter alone keeps such a connection checked out for ever: the 11th request would wait for ever.
    for (let i = 0; i < 12; i++) await api().post('/cases').send(caseBody(newAccession(), { patientId: doomedMrn })).expect(503);
    await api().post('/cases').send(caseBody(newAccession())).expect(201);
  });
});

describe('after the bad inputs', () => {
  it('the service is ready and a good case is stored and published (canary)', async () => {
    await eventually(async () => ((await api().get('/health/ready')).status === 200 ? true : undefined), 30_000, 'accession to be ready');
    const accession = newAccession();
    const res = await api().post('/cases').send(caseBody(accession)).expect(201);
    expect(res.body).toMatchObject({ accessionNumber: accession, version: 1 });
    const [event] = await reader.waitFor((m: ReadMessage) => m.topic === TOPIC && m.key === accession, (list) => list.length >= 1);
    expect(event?.value).toMatchObject({ type: 'case.created', data: { accessionNumber: accession } });
  });
});
