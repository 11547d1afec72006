import { randomUUID } from 'node:crypto';
import { Producer } from 'kafkajs';
import { Pool } from 'pg';
import { eventually, startGroupAtEnd, testEnv } from '@slidecharge/testing';
import {
  ConsumerHandle,
  decodeDeadLetterCursor,
  handleEach,
  IncomingMessage,
  KafkaBus,
  metricsRegistry,
  SqlDeadLetterArchive,
  SqlDeadLetterStore,
  SqlExecutor,
  trackOpenDeadLetters,
} from '../src';
import { capturingLogger, createServiceLikeSchema, executor, rawProducer, testCredit, transactionOn } from './support';

/**
 * Replaying dead letters against the real broker and Postgres. The consumer is the exactly-once batch
 * consumer (KafkaBus.consume), whose transaction records the event id; its handler is a service's in
 * small: it looks the payer up in a reference table and writes its effect. A credit for a payer that is not configured fails; the fix
 * is configuring the payer (a row the test inserts). billing.charges.v1 is consumed by no service, so
 * these messages disturb no other suite; the tables live in a scratch schema made from qc's migrations.
 */
type Topic = 'billing.charges.v1';
const TOPIC: Topic = 'billing.charges.v1';
const schema = 'messaging_dead_letter_replay';
const { databaseUrl, kafkaBrokers, kafka } = testEnv();
const pool = new Pool({ connectionString: databaseUrl });
const { logger, lines } = capturingLogger('info');
const archive = new SqlDeadLetterArchive(executor(pool), transactionOn(pool), schema);
const replayer = { by: 'integration-admin (sub test)', justification: 'payer configured' };

let bus: KafkaBus;
let producer: Producer;
let consumer: ConsumerHandle;
let groupId: string;
let untrack: () => void;

/** The effect of one new credit, in the batch's transaction: failing while the payer is not configured. */
async function applyCredit(tx: SqlExecutor, message: IncomingMessage<Topic>): Promise<{ outgoing: [] }> {
  const data = message.value.data as { payerId: string; detail?: string };
  const payers = await tx.$queryRawUnsafe<unknown[]>(`SELECT 1 FROM "${schema}".payer WHERE payer_id = $1`, data.payerId);
  if (payers.length === 0) throw new Error(`payer ${data.payerId} is not configured`);
  await tx.$executeRawUnsafe(`INSERT INTO "${schema}".credit_applied (event_id, payer_id) VALUES ($1, $2)`, message.value.eventId, data.payerId);
  return { outgoing: [] };
}

beforeAll(async () => {
  await createServiceLikeSchema(pool, schema);
  await pool.query(`CREATE TABLE "${schema}".payer (payer_id text PRIMARY KEY)`);
  // No unique key on purpose: an effect applied twice would show as two rows.
  await pool.query(`CREATE TABLE "${schema}".credit_applied (event_id text NOT NULL, payer_id text NOT NULL)`);
  bus = new KafkaBus({
    connection: kafka,
    clientId: 'messaging-dead-letter-replay',
    service: 'messaging-test',
    logger,
    deadLetters: { store: new SqlDeadLetterStore(executor(pool), schema) },
  });
  await bus.connect();
  producer = await rawProducer();
  groupId = `messaging-replay-${randomUUID()}`;
  await startGroupAtEnd(kafkaBrokers, groupId, [TOPIC]);
  consumer = await bus.consume({
    groupId,
    topics: [TOPIC],
    inbox: { schema, consumer: groupId, transaction: transactionOn(pool) },
    maxAttempts: 2,
    retryDelayMs: 20,
    handler: (tx, messages) => handleEach(messages, (m) => applyCredit(tx, m)),
  });
  untrack = trackOpenDeadLetters(() => archive.openCounts());
}, 60_000);

afterAll(async () => {
  untrack?.();
  await consumer?.stop();
  await producer?.disconnect();
  await bus?.disconnect();
  await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await pool.end();
});

/** A credit for `payerId`, carrying a marker in its detail. */
const credit = (payerId: string, marker = randomUUID()) => testCredit(`S26-${marker}`, payerId, marker, `MRN-${marker}`);

const send = (key: string, value: string) => producer.send({ topic: TOPIC, acks: -1, messages: [{ key, value, headers: { 'x-correlation-id': `replay-${key}` } }] });

/** Sends the message and waits until the consumer has dead-lettered it; returns the dead letter's id. */
async function deadLettered(key: string, value: string): Promise<string> {
  await send(key, value);
  return eventually(async () => {
    const { rows } = await pool.query(`SELECT id::text AS id FROM "${schema}".dead_letter WHERE key = $1 AND consumer_group = $2`, [key, groupId]);
    return rows[0]?.id as string | undefined;
  }, 30_000, `a dead letter of ${key}`);
}

const appliedCount = async (eventId: string): Promise<number> =>
  (await pool.query(`SELECT count(*)::int AS n FROM "${schema}".credit_applied WHERE event_id = $1`, [eventId])).rows[0].n as number;

const configurePayer = (payerId: string) => pool.query(`INSERT INTO "${schema}".payer (payer_id) VALUES ($1)`, [payerId]);
const newPayer = () => `P-${randomUUID().slice(0, 8)}`;

describe('replaying a dead letter after a fix', () => {
  it('fails again before the fix (recorded, still open), is consumed after it (effect once), and is not run a third time', async () => {
    const payer = newPayer();
    const marker = randomUUID();
    const event = credit(payer, marker);
    const id = await deadLettered(event.key, JSON.stringify(event.value));
    const listed = await archive.list({ state: 'open', topic: TOPIC, reason: 'processing-failed', limit: 500 });
    expect(listed.items.find((d) => d.id === id)).toMatchObject({ state: 'open', reason: 'processing-failed', consumerGroup: groupId, replays: [] });
    expect(listed.total).toBeGreaterThanOrEqual(1);

    const before = await archive.replay(id, replayer, (m) => bus.replay(m));
    expect(before).toMatchObject({ outcome: 'failed-again', alreadyReplayed: false, error: `payer ${payer} is not configured` });
    expect(before?.deadLetter).toMatchObject({ state: 'replay-failed', replays: [{ by: replayer.by, justification: replayer.justification, outcome: 'failed-again' }] });
    // Still open (not consumed): listed with ?state=open, and replayable.
    expect((await archive.list({ state: 'open', topic: TOPIC, limit: 500 })).items.map((d) => d.id)).toContain(id);
    expect(await appliedCount(event.value.eventId)).toBe(0);

    await configurePayer(payer);
    const after = await archive.replay(id, replayer, (m) => bus.replay(m));
    expect(after).toMatchObject({ outcome: 'consumed', alreadyReplayed: false });
    expect(after?.error).toBeUndefined();
    expect(after?.deadLetter.state).toBe('replayed');
    expect(after?.deadLetter.replays.map((r) => r.outcome)).toEqual(['failed-again', 'consumed']);
    expect(await appliedCount(event.value.eventId)).toBe(1);

    const again = await archive.replay(id, replayer, (m) => bus.replay(m));
    expect(again).toMatchObject({ outcome: 'consumed', alreadyReplayed: true });
    expect(again?.deadLetter.replays).toHaveLength(2);
    expect(await appliedCount(event.value.eventId)).toBe(1);
    expect((await archive.list({ state: 'replayed', topic: TOPIC, limit: 500 })).items.map((d) => d.id)).toContain(id);
    expect((await archive.list({ state: 'open', topic: TOPIC, limit: 500 })).items.map((d) => d.id)).not.toContain(id);
    // The failed replay was logged, without the message body (the patient id is in it).
    const logged = lines.filter((l) => l['msg'] === 'replayed dead letter failed again');
    expect(logged.length).toBeGreaterThanOrEqual(1);
    expect(JSON.stringify(lines)).not.toContain(`MRN-${marker}`);
  });

  it('does not apply an event twice whose id was consumed meanwhile (sent again and taken after the fix)', async () => {
    const payer = newPayer();
    const event = credit(payer);
    const id = await deadLettered(event.key, JSON.stringify(event.value));
    await configurePayer(payer);
    await send(event.key, JSON.stringify(event.value));
    await eventually(async () => ((await appliedCount(event.value.eventId)) === 1 ? true : undefined), 30_000, 'the repeat to be taken');

    const replayed = await archive.replay(id, replayer, (m) => bus.replay(m));
    expect(replayed).toMatchObject({ outcome: 'consumed', alreadyReplayed: false });
    expect(await appliedCount(event.value.eventId)).toBe(1);
  });

  it('serializes concurrent replays of one dead letter: one runs, the others find it consumed', async () => {
    const payer = newPayer();
    const event = credit(payer);
    const id = await deadLettered(event.key, JSON.stringify(event.value));
    await configurePayer(payer);
    let running = 0;
    let most = 0;
    const run = async (m: Parameters<KafkaBus['replay']>[0]) => {
      most = Math.max(most, ++running);
      try {
        return await bus.replay(m);
      } finally {
        running--;
      }
    };
    const answers = await Promise.all([1, 2, 3].map(() => archive.replay(id, replayer, run)));
    expect(answers.map((a) => a?.alreadyReplayed).sort()).toEqual([false, true, true]);
    expect(answers.every((a) => a?.outcome === 'consumed')).toBe(true);
    expect(most).toBe(1);
    expect((await archive.summary(id))?.replays).toHaveLength(1);
    expect(await appliedCount(event.value.eventId)).toBe(1);
  });

  it('fails again with the fields, not the body, for a message that breaks the contract; shows the original on request', async () => {
    const marker = randomUUID();
    const key = `S26-${marker}`;
    const good = credit(newPayer(), marker).value;
    const body = JSON.stringify({ ...good, data: { ...good.data, units: 0 } });
    const id = await deadLettered(key, body);
    const answer = await archive.replay(id, replayer, (m) => bus.replay(m));
    expect(answer).toMatchObject({ outcome: 'failed-again', alreadyReplayed: false, deadLetter: { state: 'replay-failed', reason: 'schema-violation' } });
    expect(answer?.error).toContain('data.units');
    expect(answer?.error).not.toContain(marker);
    expect(JSON.stringify(answer?.deadLetter)).not.toContain(marker);

    const detail = await archive.detail(id);
    expect(detail?.original).toMatchObject({ key, value: body, valueEncoding: 'utf8', sizeBytes: Buffer.byteLength(body), headers: { 'x-correlation-id': `replay-${key}` } });
    expect(detail?.original.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(await archive.detail(randomUUID())).toBeUndefined();
    expect(await archive.replay(randomUUID(), replayer, (m) => bus.replay(m))).toBeUndefined();
  });

  it('fails again without running anything when no consumer of its group runs here', async () => {
    const marker = randomUUID();
    const id = randomUUID();
    await new SqlDeadLetterStore(executor(pool), schema).save({
      id,
      failedAt: new Date(),
      consumerGroup: `gone-${marker}`,
      topic: TOPIC,
      partition: 0,
      offset: '0',
      key: `S26-${marker}`,
      reason: 'processing-failed',
      message: 'gave up',
      headers: {},
      value: Buffer.from(JSON.stringify(credit(newPayer(), marker).value)),
    });
    const answer = await archive.replay(id, replayer, (m) => bus.replay(m));
    expect(answer).toMatchObject({ outcome: 'failed-again', error: expect.stringContaining(`no consumer of group gone-${marker}`) });
  });
});

describe('paging and the open gauge', () => {
  it('pages newest first with a cursor and a total, and counts open dead letters by topic and reason at scrape time', async () => {
    const payer = newPayer();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const event = credit(payer);
      ids.push(await deadLettered(event.key, JSON.stringify(event.value)));
    }
    const all = await archive.list({ topic: TOPIC, limit: 500 });
    const first = await archive.list({ topic: TOPIC, limit: 2 });
    expect(first.total).toBe(all.total);
    expect(first.items.map((d) => d.id)).toEqual(all.items.slice(0, 2).map((d) => d.id));
    expect(first.nextCursor).not.toBeNull();
    const second = await archive.list({ topic: TOPIC, limit: 2, cursor: decodeDeadLetterCursor(first.nextCursor ?? '') });
    expect(second.items.map((d) => d.id)).toEqual(all.items.slice(2, 4).map((d) => d.id));
    expect(all.items.slice(0, 3).map((d) => d.id)).toEqual([...ids].reverse());

    const open = (await archive.openCounts()).find((c) => c.topic === TOPIC && c.reason === 'processing-failed')?.count ?? 0;
    expect(open).toBeGreaterThanOrEqual(3);
    const scraped = await metricsRegistry.getSingleMetricAsString('slidecharge_dead_letters_open');
    expect(scraped).toContain(`slidecharge_dead_letters_open{topic="${TOPIC}",reason="processing-failed"} ${open}`);
  });
});
