import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import type { KafkaPrincipal } from '@slidecharge/contracts';
import { deleteGroup, eventually, harnessKafkaConnection, principalKafkaConnection, testEnv } from '@slidecharge/testing';
import { KafkaConnection, kafkaClientOptions } from '@slidecharge/kafka-client';
import { buildEvent } from '../src';

/**
 * The broker of scripts/kafka.sh as an attacker and as each principal would meet it: who is let in
 * (SASL/SCRAM-SHA-512 over TLS only) and what each may do (ACLs derived from the topic table).
 * Needs the secured broker: the harness connects as admin (scripts/test.sh exports its settings).
 */
const { kafkaBrokers } = testEnv();
const run = randomUUID().slice(0, 8);
const groups: string[] = [];

/** Protocol error codes kafkajs met (it hides some behind its own errors, but logs them). */
const protocolErrors: string[] = [];

/** A client that gives up at the first refusal (retries: 0), or retries as services do (for reading). */
function client(connection: KafkaConnection, retries = 0): Kafka {
  return new Kafka({
    ...kafkaClientOptions(connection),
    clientId: `security-${run}`,
    connectionTimeout: 3000,
    retry: { retries },
    logLevel: logLevel.DEBUG,
    logCreator:
      () =>
      ({ log }) => {
        const type = (log['error'] as { type?: unknown } | undefined)?.type;
        if (typeof type === 'string') protocolErrors.push(type);
      },
  });
}

const as = (principal: KafkaPrincipal) => principalKafkaConnection(principal);

/** The broker's error code of a refused call (kafkajs puts it on the error, its cause or its parts). */
async function refusal(call: Promise<unknown>): Promise<string> {
  try {
    await call;
  } catch (e) {
    const error = e as { type?: string; cause?: { type?: string }; errors?: { type?: string }[]; message: string };
    return error.type ?? error.cause?.type ?? error.errors?.[0]?.type ?? error.message;
  }
  throw new Error('the broker allowed it');
}

async function connectAdmin(connection: KafkaConnection): Promise<string[]> {
  const admin = client(connection).admin();
  await admin.connect();
  try {
    return await admin.listTopics();
  } finally {
    await admin.disconnect();
  }
}

async function send(connection: KafkaConnection, topic: string, value: string, key = `security-${run}`): Promise<void> {
  const producer = client(connection).producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    await producer.send({ topic, acks: -1, messages: [{ key, value }] });
  } finally {
    await producer.disconnect();
  }
}

/** Reads `topic` from the beginning as a principal with its consumer group until `wanted` arrives. */
async function readAs(connection: KafkaConnection, groupId: string, topic: string, publish: () => Promise<void>, wanted: string): Promise<void> {
  groups.push(groupId);
  const consumer = client(connection, 5).consumer({ groupId });
  let seen = false;
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        if (message.value?.toString('utf8').includes(wanted)) seen = true;
      },
    });
    await publish();
    await eventually(async () => (seen ? true : undefined), 30_000, `${wanted} read from ${topic}`);
  } finally {
    await consumer.disconnect();
  }
}

/** Subscribes a consumer (which reads the topic's metadata) and returns the broker's refusal. */
async function subscribeRefusal(connection: KafkaConnection, groupId: string, topic: string): Promise<string> {
  const consumer = client(connection).consumer({ groupId });
  await consumer.connect();
  try {
    return await refusal(consumer.subscribe({ topics: [topic] }));
  } finally {
    await consumer.disconnect();
  }
}

/** Starts a consumer and returns what stopped it (kafkajs's error and the broker's codes it logged). */
async function joinRefused(connection: KafkaConnection, groupId: string, topic: string): Promise<{ error: string; codes: string[] }> {
  const before = protocolErrors.length;
  const consumer = client(connection).consumer({ groupId });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic] });
    const crashed = new Promise<Error>((resolve) => consumer.on(consumer.events.CRASH, (e) => resolve(e.payload.error)));
    await consumer.run({ eachMessage: async () => undefined });
    const error = await crashed;
    return { error: error.name, codes: protocolErrors.slice(before) };
  } finally {
    await consumer.disconnect();
  }
}

afterAll(async () => {
  for (const group of groups) await deleteGroup(kafkaBrokers, group);
});

describe('who the broker lets in', () => {
  const billing = () => as('billing');

  it('answers the admin of the harness over SASL_SSL', async () => {
    expect(harnessKafkaConnection().sasl?.username).toBe('admin');
    expect(await connectAdmin(harnessKafkaConnection())).toEqual(expect.arrayContaining(['scan.events.v1', 'billing.charges.v1']));
  });

  it('refuses a client without credentials', async () => {
    const { sasl: _none, ...anonymous } = billing();
    expect(await refusal(connectAdmin(anonymous))).toMatch(/Closed connection/);
  });

  it('refuses a wrong password', async () => {
    const wrong: KafkaConnection = { ...billing(), sasl: { mechanism: 'scram-sha-512', username: 'billing', password: 'not-the-password' } };
    expect(await refusal(connectAdmin(wrong))).toMatch(/SASL SCRAM SHA512 authentication failed.*invalid credentials/);
  });

  it('refuses plaintext on the TLS port', async () => {
    const { tls: _none, ...plaintext } = billing();
    expect(await refusal(connectAdmin(plaintext))).toMatch(/Closed connection/);
  });

  it('is not trusted without its CA (the client verifies the broker certificate)', async () => {
    expect(await refusal(connectAdmin({ ...billing(), tls: {} }))).toMatch(/unable to verify the first certificate|self.signed/);
  });
});

describe('what each principal may do (ACLs from the topic table)', () => {
  const scanEvent = (barcode: string) =>
    JSON.stringify({ eventId: `sec-${randomUUID()}`, eventType: 'scan.started', occurredAt: new Date().toISOString(), slideBarcode: barcode, scannerId: 'SEC-TEST' });

  it('scanner-middleware writes scanner.ingress.v1 and nothing else', async () => {
    const middleware = as('scanner-middleware');
    await send(middleware, 'scanner.ingress.v1', scanEvent(`SEC-${run}-A1-1`));
    expect(await refusal(send(middleware, 'scan.events.v1', scanEvent(`SEC-${run}-A1-2`)))).toBe('TOPIC_AUTHORIZATION_FAILED');
    expect(await refusal(send(middleware, 'lis.case-events.v1', '{}'))).toBe('TOPIC_AUTHORIZATION_FAILED');
    expect((await joinRefused(middleware, `scanner-middleware-${run}`, 'scanner.ingress.v1')).codes).toContain('GROUP_AUTHORIZATION_FAILED');
  });

  it('billing reads lis.case-events.v1 (written by accession) but cannot write scan.events.v1', async () => {
    const accessionNumber = `SEC${run}`.toUpperCase();
    const event = buildEvent(
      'lis.case-events.v1',
      'case.created',
      accessionNumber,
      {
        accessionNumber,
        status: 'active',
        version: 1,
        patientId: `MRN-${run}`,
        payer: { payerId: 'AETNA' },
        collectionDate: '2026-11-20',
        diagnoses: ['C61'],
        specimens: [{ specimenId: 'A', primaryCpt: '88305', units: 1 }],
        slides: [{ barcode: `${accessionNumber}-A1-1`, specimenId: 'A' }],
      },
      { producer: 'accession' },
    );
    const publish = () => send(as('accession'), 'lis.case-events.v1', JSON.stringify(event.value), accessionNumber);
    await readAs(as('billing'), `billing-security-${run}`, 'lis.case-events.v1', publish, accessionNumber);
    expect(await refusal(send(as('billing'), 'scan.events.v1', scanEvent(`SEC-${run}-B1-1`)))).toBe('TOPIC_AUTHORIZATION_FAILED');
  });

  it('a service cannot read with a consumer group outside its own prefix', async () => {
    const foreign = await joinRefused(as('billing'), `qc-security-${run}`, 'scan.events.v1');
    expect(foreign).toEqual({ error: 'KafkaJSGroupCoordinatorNotFound', codes: expect.arrayContaining(['GROUP_AUTHORIZATION_FAILED']) });
    // billing's prefix is a prefix of billing-system's: those groups are denied to it explicitly.
    const external = await joinRefused(as('billing'), `billing-system-${run}`, 'lis.case-events.v1');
    expect(external.codes).toContain('GROUP_AUTHORIZATION_FAILED');
  });

  it('billing-system reads billing.charges.v1 only', async () => {
    const billingSystem = as('billing-system');
    const probe = JSON.stringify({ probe: `security-${run}` });
    await readAs(billingSystem, `billing-system-security-${run}`, 'billing.charges.v1', () => send(harnessKafkaConnection(), 'billing.charges.v1', probe), `security-${run}`);
    expect(await subscribeRefusal(billingSystem, `billing-system-${run}-2`, 'lis.case-events.v1')).toBe('TOPIC_AUTHORIZATION_FAILED');
    expect(await refusal(send(billingSystem, 'billing.charges.v1', probe))).toBe('TOPIC_AUTHORIZATION_FAILED');
  });

  it("the ops console (an observer) reads the offsets of the services' groups, but cannot join their groups or write their topics", async () => {
    const observer = client(as('ops-console'), 5).admin();
    await observer.connect();
    try {
      const committed = await observer.fetchOffsets({ groupId: 'billing', topics: ['scan.events.v1'] });
      expect(committed.map((t) => t.topic)).toEqual(['scan.events.v1']);
      // A topic it only describes (scanner-events reads it): its offsets, not its messages.
      expect((await observer.fetchTopicOffsets('scanner.ingress.v1')).length).toBeGreaterThan(0);
    } finally {
      await observer.disconnect();
    }
    const joined = await joinRefused(as('ops-console'), `billing-observer-${run}`, 'scan.events.v1');
    // DESCRIBE finds the group's coordinator; joining needs READ, which the broker refuses (a protocol error kafkajs does not retry).
    expect(joined.error).toBe('KafkaJSProtocolError');
    expect(await refusal(send(as('ops-console'), 'billing.charges.v1', '{}'))).toBe('TOPIC_AUTHORIZATION_FAILED');
  });

  it('no service or external system may create topics (the setup does)', async () => {
    const admin = client(as('billing')).admin();
    await admin.connect();
    try {
      const refused = await refusal(admin.createTopics({ topics: [{ topic: `security-${run}`, numPartitions: 1 }] }));
      expect(refused).toBe('TOPIC_AUTHORIZATION_FAILED');
    } finally {
      await admin.disconnect();
    }
  });
});
