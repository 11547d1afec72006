import { createHash, randomUUID } from 'node:crypto';
import { Producer } from 'kafkajs';
import { Pool } from 'pg';
import { DEAD_LETTER_TOPIC, DeadLetter } from '@slidecharge/contracts';
import { eventually, startGroupAtEnd, TopicReader, testEnv, testKafka } from '@slidecharge/testing';
import {
  ConsumerHandle,
  DEAD_LETTER_DEFAULT_RECORD_BYTES,
  DeadLetterRetention,
  ExactlyOnceConsumerOptions,
  handleEach,
  IncomingMessage,
  KafkaBus,
  RejectedMessageError,
  SqlDeadLetterStore,
} from '../src';
import { capturingLogger, createServiceLikeSchema, executor, rawProducer, testCredit, transactionOn } from './support';

/**
 * The consumer side against the real broker and Postgres, with the exact inputs of issue #7: invalid
 * messages of ~600 KB and ~1 MB, NUL and an unpaired surrogate in a string, a 300-character
 * correlation header, a poison message, a dead-letter store that is down. After each, a normal message
 * on the same partition still flows (the canary).
 *
 * The topic is billing.charges.v1: a contract topic that no service consumes, so these inputs cannot
 * disturb other suites that share the broker. The dead_letter, consumed_event and outbox tables live in
 * a scratch schema built from qc's migrations. The consumer is the exactly-once batch consumer
 * (KafkaBus.consume) with batches of one message, so that each message is tried, retried and
 * dead-lettered on its own and the counts of attempts are exact; how a larger batch is split around a
 * failing message is exactly-once.int-spec.ts's subject.
 */
type Topic = 'billing.charges.v1';
const TOPIC: Topic = 'billing.charges.v1';
const schema = 'messaging_dead_letters';
const { databaseUrl, kafkaBrokers, kafka } = testEnv();
const pool = new Pool({ connectionString: databaseUrl });
const { logger, lines } = capturingLogger('info');

let bus: KafkaBus;
let reader: TopicReader;
let producer: Producer;

beforeAll(async () => {
  await createServiceLikeSchema(pool, schema);
  bus = new KafkaBus({
    connection: kafka,
    clientId: 'messaging-dead-letters',
    service: 'messaging-test',
    logger,
    deadLetters: { store: new SqlDeadLetterStore(executor(pool), schema) },
  });
  await bus.connect();
  reader = await new TopicReader(kafkaBrokers, [DEAD_LETTER_TOPIC]).start();
  producer = await rawProducer();
}, 60_000);

afterAll(async () => {
  await producer?.disconnect();
  await reader?.stop();
  await bus?.disconnect();
  await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await pool.end();
});

/** A valid event of the topic: a credit whose detail carries the marker. */
const credit = (marker: string) => testCredit(`S26-${marker}`, 'AETNA', marker, 'MRN-TEST');

const send = (key: string, value: string | Buffer, headers: Record<string, string> = {}) =>
  producer.send({ topic: TOPIC, acks: -1, messages: [{ key, value, headers }] });
const sendCanary = async (marker: string) => {
  const canary = credit(`canary-${marker}`);
  await send(`S26-${marker}`, JSON.stringify(canary.value));
  return canary.value.eventId;
};

const running: ConsumerHandle[] = [];
afterEach(async () => {
  for (const handle of running.splice(0)) await handle.stop();
});

type ConsumeOptions = Partial<Omit<ExactlyOnceConsumerOptions<Topic>, 'handler'>> & {
  /** What the consumer does with each message, in its context (handleEach); throwing fails it. */
  onMessage?: (message: IncomingMessage<Topic>) => Promise<void>;
};

/** A consumer group of the exactly-once consumer, one message per transaction, recording in the scratch schema. */
async function startConsumer(groupId: string, options: ConsumeOptions, handled: IncomingMessage<Topic>[], bus_: KafkaBus = bus): Promise<ConsumerHandle> {
  const { onMessage, ...rest } = options;
  const handle = await bus_.consume({
    groupId,
    topics: [TOPIC],
    inbox: { schema, consumer: groupId, transaction: transactionOn(pool) },
    maxBatchMessages: 1,
    ...rest,
    handler: (_tx, messages) =>
      handleEach(messages, async (m) => {
        await onMessage?.(m);
        handled.push(m);
        return { outgoing: [] };
      }),
  });
  running.push(handle);
  return handle;
}

/**
 * A consumer group that starts at the current end of the topic. It keeps what `onMessage` took
 * (everything, without one); it is stopped after the test.
 */
async function consume(options: ConsumeOptions = {}, bus_: KafkaBus = bus) {
  const groupId = `messaging-dl-${randomUUID()}`;
  await startGroupAtEnd(kafkaBrokers, groupId, [TOPIC]);
  const handled: IncomingMessage<Topic>[] = [];
  const handle = await startConsumer(groupId, options, handled, bus_);
  const handledEvent = (eventId: string) => eventually(async () => handled.find((m) => m.value.eventId === eventId), 30_000, `event ${eventId} handled`);
  return { groupId, handled, handle, handledEvent };
}

const lettersFor = (key: string, count: number, timeoutMs = 30_000) =>
  reader
    .waitFor((m) => m.topic === DEAD_LETTER_TOPIC && (m.value as DeadLetter).source?.key === key, (list) => list.length >= count, timeoutMs)
    .then((list) => list.map((m) => m.value as DeadLetter));

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('invalid messages of ~600 KB and ~1 MB (larger than a dead-letter record may be)', () => {
  it('keeps them whole in dead_letter, sends records that fit the broker, and the partition goes on', async () => {
    const marker = randomUUID();
    const key = `S26-${marker}`;
    const notJson = Buffer.from(`{"marker":"${marker}","pad":"${'x'.repeat(600_000)}`); // unterminated: not JSON
    const violating = Buffer.from(JSON.stringify({ marker, type: 'charge.exploded', pad: 'y'.repeat(1_000_000 - 100) }));
    expect(violating.length).toBeGreaterThan(999_000);
    const { handle, handledEvent } = await consume();
    await send(key, notJson, { 'x-correlation-id': `c-${marker}` });
    await send(key, violating);
    await handledEvent(await sendCanary(marker));

    const letters = await lettersFor(key, 2);
    const byReason = Object.fromEntries(letters.map((l) => [l.reason, l]));
    expect(Object.keys(byReason).sort()).toEqual(['invalid-json', 'schema-violation']);
    for (const [letter, original] of [
      [byReason['invalid-json'], notJson],
      [byReason['schema-violation'], violating],
    ] as const) {
      expect(letter).toMatchObject({ originalValue: null, originalValueBase64: null, originalTruncated: true, service: 'messaging-test' });
      expect(letter?.originalPreview?.startsWith(`{"marker":"${marker}"`)).toBe(true);
      expect(letter?.originalStored).toEqual({ schema, table: 'dead_letter', id: letter?.deadLetterId, sizeBytes: original.length, sha256: sha256(original) });
      expect(Buffer.byteLength(JSON.stringify(letter))).toBeLessThan(DEAD_LETTER_DEFAULT_RECORD_BYTES);
      const { rows } = await pool.query(`SELECT value, size_bytes, sha256, reason, key, headers FROM "${schema}".dead_letter WHERE id = $1`, [letter?.deadLetterId]);
      expect(rows[0].value.equals(original)).toBe(true);
      expect(rows[0]).toMatchObject({ size_bytes: original.length, sha256: sha256(original), reason: letter?.reason, key });
    }
    expect(byReason['invalid-json']?.source.headers['x-correlation-id']).toBe(`c-${marker}`);
    expect(handle.status()).toEqual({ running: true, restarts: 0 });
  });
});

describe('unsafe text in a JSON string', () => {
  it.each([
    ['a NUL byte', { detail: 'bad\u0000detail' }, 'data.detail', 'U+0000 (NUL)'],
    ['an unpaired surrogate', { reason: 'bad\ud800reason' }, 'data.reason', 'U+D800 (unpaired surrogate)'],
  ])('refuses %s at once as schema-violation naming the field', async (_what, over, path, character) => {
    const marker = randomUUID();
    const key = `S26-${marker}`;
    // buildEvent refuses such text on our side (checkOutgoing): an outside sender writes it by hand.
    const good = credit(marker).value;
    const bad = { ...good, data: { ...good.data, ...over } };
    const encoded = JSON.stringify(bad);
    expect(encoded).toMatch(/\\u0000|\\ud800/); // the escape travels, as an outside sender would write it
    const { handled, handledEvent } = await consume({ retryDelayMs: 1000 });
    await send(key, encoded);
    await handledEvent(await sendCanary(marker));
    const [letter] = await lettersFor(key, 1);
    expect(letter).toMatchObject({ reason: 'schema-violation', errors: [{ path, message: expect.stringContaining(character) }], originalValue: encoded });
    expect(letter?.message).toContain(path);
    expect(handled.some((m) => m.value.eventId === bad.eventId)).toBe(false);
  });
});

describe('a 300-character x-correlation-id header', () => {
  it('is replaced (its length logged), and the event is handled and can produce events', async () => {
    const marker = randomUUID();
    const event = credit(marker);
    const built: string[] = [];
    const { handledEvent } = await consume({
      onMessage: async (m) => {
        if (m.value.eventId !== event.value.eventId) return;
        built.push(m.correlationId);
        // What a service does inside a handler: build an event, which carries the current correlation id.
        built.push(credit(marker).value.correlationId);
      },
    });
    await send(`S26-${marker}`, JSON.stringify(event.value), { 'x-correlation-id': 'c'.repeat(300) });
    await eventually(async () => (built.length >= 2 ? true : undefined), 30_000, 'the event handled');
    await handledEvent(await sendCanary(marker));
    expect(built[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(built[1]).toBe(built[0]);
    expect(lines).toContainEqual(expect.objectContaining({ headerLength: 300, offset: expect.any(String), msg: expect.stringContaining('x-correlation-id header') }));
    expect(JSON.stringify(lines)).not.toContain('c'.repeat(129));
  });
});

describe('retry policy', () => {
  it('dead-letters a message whose handler keeps failing after maxAttempts, then goes on', async () => {
    const marker = randomUUID();
    const poison = credit(marker);
    let calls = 0;
    const { handledEvent } = await consume({
      maxAttempts: 3,
      retryDelayMs: 100,
      onMessage: async (m) => {
        if (m.value.eventId === poison.value.eventId) {
          calls++;
          throw new Error('database says no');
        }
      },
    });
    const started = Date.now();
    await send(`S26-${marker}`, JSON.stringify(poison.value));
    const [letter] = await lettersFor(`S26-${marker}`, 1);
    expect(letter).toMatchObject({ reason: 'processing-failed', message: 'gave up after 3 attempts: database says no' });
    expect(calls).toBe(3);
    expect(Date.now() - started).toBeLessThan(15_000);
    await handledEvent(await sendCanary(marker));
  });

  it('dead-letters a message the handler rejects at once, without retrying it', async () => {
    const marker = randomUUID();
    const refused = credit(marker);
    let calls = 0;
    const { handledEvent } = await consume({
      retryDelayMs: 5000,
      onMessage: async (m) => {
        if (m.value.eventId === refused.value.eventId) {
          calls++;
          throw new RejectedMessageError('no such charge');
        }
      },
    });
    await send(`S26-${marker}`, JSON.stringify(refused.value));
    const [letter] = await lettersFor(`S26-${marker}`, 1);
    expect(letter).toMatchObject({ reason: 'rejected', message: 'no such charge', originalValue: JSON.stringify(refused.value) });
    expect(calls).toBe(1);
    await handledEvent(await sendCanary(marker));
  });

  it('ends the wait on shutdown without committing: the group reads the message again after the restart', async () => {
    const marker = randomUUID();
    const event = credit(marker);
    let failures = 0;
    const first = await consume({
      retryDelayMs: 5000,
      maxRetryDelayMs: 5000,
      onMessage: async (m) => {
        if (m.value.eventId === event.value.eventId) {
          failures++;
          throw new Error('not yet');
        }
      },
    });
    await send(`S26-${marker}`, JSON.stringify(event.value));
    await eventually(async () => (failures === 1 ? true : undefined), 30_000, 'the first failure');
    const stopping = Date.now();
    const linesBefore = lines.length;
    await first.handle.stop();
    expect(Date.now() - stopping).toBeLessThan(10_000);
    const again: IncomingMessage<Topic>[] = [];
    await startConsumer(first.groupId, {}, again);
    await eventually(async () => (again.some((m) => m.value.eventId === event.value.eventId) ? true : undefined), 30_000, 'the message read again');
    expect(failures).toBe(1);
    expect(lines.slice(linesBefore).filter((l) => l['level'] === 50)).toEqual([]); // a clean stop is not an error
  }, 60_000);

  it('keeps its group membership through a wait longer than the session timeout (heartbeats while waiting)', async () => {
    const marker = randomUUID();
    const flaky = credit(marker);
    let calls = 0;
    const { groupId, handle, handledEvent } = await consume({
      sessionTimeoutMs: 6000,
      heartbeatIntervalMs: 1000,
      maxAttempts: 2,
      retryDelayMs: 8000,
      maxRetryDelayMs: 8000,
      onMessage: async (m) => {
        if (m.value.eventId === flaky.value.eventId && ++calls === 1) throw new Error('first attempt fails');
      },
    });
    const admin = testKafka('messaging-test-admin').admin();
    await admin.connect();
    try {
      const members = async () => (await admin.describeGroups([groupId])).groups[0]?.members.map((m) => m.memberId) ?? [];
      const before = await members();
      expect(before).toHaveLength(1);
      await send(`S26-${marker}`, JSON.stringify(flaky.value));
      await handledEvent(flaky.value.eventId);
      // Evicted during the 8 s wait, the consumer would have joined again under a new member id.
      expect(await members()).toEqual(before);
      expect(calls).toBe(2);
      expect(handle.status()).toEqual({ running: true, restarts: 0 });
    } finally {
      await admin.disconnect();
    }
  }, 60_000);
});

describe('a dead-letter store that is down', () => {
  it('is retried with backoff, the partition waiting; once it is back the dead letter is written and the offset moves', async () => {
    const lateSchema = 'messaging_dead_letters_late';
    await pool.query(`DROP SCHEMA IF EXISTS "${lateSchema}" CASCADE`);
    const captured = capturingLogger('info');
    const lateBus = new KafkaBus({
      connection: kafka,
      clientId: 'messaging-dead-letters-late',
      service: 'messaging-test',
      logger: captured.logger,
      deadLetters: { store: new SqlDeadLetterStore(executor(pool), lateSchema) },
    });
    try {
      const marker = randomUUID();
      const { handle, handled, handledEvent } = await consume({}, lateBus);
      await send(`S26-${marker}`, `{"not json ${marker}`);
      const canaryId = await sendCanary(marker);
      await eventually(
        async () => (captured.lines.filter((l) => l['msg'] === 'dead letter could not be stored; retrying').length >= 2 ? true : undefined),
        30_000,
        'two failed attempts to store the dead letter',
      );
      expect(handled.map((m) => m.value.eventId)).not.toContain(canaryId);
      expect(handle.isRunning()).toBe(true);
      await createServiceLikeSchema(pool, lateSchema);
      await handledEvent(canaryId);
      const [letter] = await lettersFor(`S26-${marker}`, 1);
      expect(letter).toMatchObject({ reason: 'invalid-json', originalValue: `{"not json ${marker}`, originalStored: { schema: lateSchema } });
      expect(handle.status().restarts).toBe(0);
      } finally {
      await lateBus.disconnect();
      await pool.query(`DROP SCHEMA IF EXISTS "${lateSchema}" CASCADE`);
    }
  }, 60_000);
});

describe('dead-letter retention', () => {
  const insert = (id: string, daysAgo: number) =>
    pool.query(
      `INSERT INTO "${schema}".dead_letter (id, failed_at, consumer_group, topic, partition, "offset", key, reason, message, headers, value, size_bytes, sha256)
       VALUES ($1, now() - make_interval(days => $2), 'g', 't', 0, '0', null, 'invalid-json', 'm', '{}', null, 0, 'x')`,
      [id, daysAgo],
    );
  const exists = async (id: string) => (await pool.query(`SELECT 1 FROM "${schema}".dead_letter WHERE id = $1`, [id])).rowCount === 1;

  it('purges rows older than the retention at start and then periodically, saying how many', async () => {
    const [old, older, recent, later] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    await insert(old, 31);
    await insert(older, 400);
    await insert(recent, 29);
    const captured = capturingLogger('info');
    const retention = new DeadLetterRetention({ store: new SqlDeadLetterStore(executor(pool), schema), schema, retentionDays: 30, intervalMs: 300, logger: captured.logger });
    retention.start();
    try {
      await eventually(async () => (!(await exists(old)) && !(await exists(older)) ? true : undefined), 10_000, 'the first purge');
      expect(captured.lines).toContainEqual(expect.objectContaining({ purged: 2, retentionDays: 30, msg: 'purged 2 dead letters older than 30 days' }));
      await insert(later, 45);
      await eventually(async () => (!(await exists(later)) ? true : undefined), 10_000, 'a later purge');
      expect(await exists(recent)).toBe(true);
    } finally {
      await retention.stop();
    }
  });
});
