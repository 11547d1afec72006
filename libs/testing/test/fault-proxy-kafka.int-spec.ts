import { randomUUID } from 'node:crypto';
import { EventEmitter, once } from 'node:events';
import { connect as connectTcp, isIP } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { Kafka, logLevel, type Consumer, type ISocketFactory, type Producer } from 'kafkajs';
import { kafkaClientOptions } from '@slidecharge/kafka-client';
import { deleteGroup, FaultProxy, testEnv, testKafka } from '../src';

/**
 * A kafkajs producer and consumer, as the harness's principal (SASL/SCRAM over TLS from the
 * environment), with every connection to the broker through the fault proxy: produce works, a
 * blackhole makes a send fail, and after clear() both recover.
 *
 * The broker advertises its own address after bootstrap, so a proxy in front of its port alone would
 * see the bootstrap connection only. The campaign gives the broker a listener advertised on the
 * proxy's port (scripts/kafka.sh, KAFKA_PROXY_PORT); this test, on the shared broker of the harness,
 * does the same from the client's side: kafkajs's socket factory sends the connections for the
 * broker's address to the proxy. TLS passes through the proxy unchanged (the broker's certificate
 * names 127.0.0.1).
 */
const { kafkaBrokers, kafka: connection } = testEnv();
const run = randomUUID().slice(0, 8);
const topic = `fault-proxy-test-${run}`;
const groupId = `fault-proxy-test-${run}`;
const [brokerHost = '', brokerPort = ''] = (connection.brokers[0] ?? '').split(':');
const broker = { host: brokerHost, port: Number(brokerPort) };

let proxy: FaultProxy;
let producer: Producer;
let consumer: Consumer;
const consumed: string[] = [];
const arrivals = new EventEmitter();

/** kafkajs's own socket factory (kafkajs/src/network/socketFactory.js) with the broker's address replaced by the proxy's. */
const throughProxy: ISocketFactory = ({ host, port, ssl, onConnect }) => {
  const target = host === broker.host && port === broker.port ? proxy.address : { host, port };
  const socket = ssl ? connectTls({ ...ssl, ...target, ...(isIP(host) ? {} : { servername: host }) }, onConnect) : connectTcp(target, onConnect);
  socket.setKeepAlive(true, 60_000);
  return socket;
};

const kafka = () =>
  new Kafka({
    ...kafkaClientOptions(connection),
    clientId: `fault-proxy-test-${run}`,
    logLevel: logLevel.NOTHING,
    socketFactory: throughProxy,
    connectionTimeout: 3000,
    requestTimeout: 2000,
    retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 500 },
  });

async function consumedUntil(value: string): Promise<void> {
  while (!consumed.includes(value)) await once(arrivals, 'message');
}

const send = (value: string) => producer.send({ topic, acks: -1, messages: [{ key: run, value }] });

beforeAll(async () => {
  const admin = testKafka(`fault-proxy-test-${run}`).admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
  await admin.disconnect();
  proxy = await FaultProxy.start({ name: 'kafka', listen: { host: '127.0.0.1' }, upstream: broker });
  producer = kafka().producer({ allowAutoTopicCreation: false });
  consumer = kafka().consumer({ groupId, maxWaitTimeInMs: 200 });
  await producer.connect();
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      consumed.push(message.value?.toString('utf8') ?? '');
      arrivals.emit('message');
    },
  });
});

afterAll(async () => {
  await proxy?.clear();
  await consumer?.disconnect();
  await producer?.disconnect();
  await proxy?.close();
  await deleteGroup(kafkaBrokers, groupId);
  const admin = testKafka(`fault-proxy-test-${run}`).admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  await admin.disconnect();
});

it('carries the producer and the consumer to the broker', async () => {
  await send('before');
  await consumedUntil('before');
  // At least the producer's and the consumer's connections (kafkajs opens one per broker and role).
  expect(proxy.counters.accepted).toBeGreaterThanOrEqual(2);
  expect(proxy.counters.bytesToClient).toBeGreaterThan(0);
});

it('blackhole: a send fails; after clear() sends and consumption recover, without the failed message', async () => {
  proxy.blackhole();
  const failed = (await send('during').then(
    () => undefined,
    (e: unknown) => e,
  )) as { name?: string; cause?: { name?: string } } | undefined;
  expect({ name: failed?.name, cause: failed?.cause?.name }).toEqual({ name: 'KafkaJSNumberOfRetriesExceeded', cause: 'KafkaJSRequestTimeoutError' });
  expect(proxy.counters.bytesSwallowed).toBeGreaterThan(0);
  await proxy.clear();
  await send('after');
  await consumedUntil('after');
  // One partition, in order: had 'during' reached the broker, it would have been read before 'after'.
  expect(consumed).toEqual(['before', 'after']);
});
