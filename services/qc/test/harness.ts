import { randomUUID } from 'node:crypto';
import { INestApplication } from '@nestjs/common';
import { ScanImage, TopicName } from '@slidecharge/contracts';
import { createLogger, KafkaBus } from '@slidecharge/messaging';
import { createServiceApp } from '@slidecharge/service-kit';
import { asCaller, deleteGroup, identityEnv, serviceDatabaseUrl, startGroupAtEnd, testEnv, TopicReader } from '@slidecharge/testing';
import { AppModule } from '../src/app.module';
import { loadServiceConfig } from '../src/config';
import { QC_SERVICE } from '../src/openapi';

/** What qc integration tests share: qc in-process against the real Postgres, Kafka and identity provider. */

/** Image metrics every default QC rule passes. */
export const GOOD: ScanImage = { focusScore: 0.92, tissueCoverage: 0.4, fileSizeBytes: 1_500_000_000, barcodeRead: true, stitchingErrors: 0 };

/** A slide barcode no other test uses. */
export const newBarcode = () => `S26-${randomUUID().slice(0, 8)}-A1-1`;

export interface QcHarnessOptions {
  /** The test's name: its Kafka client id. */
  name: string;
  /** Topics read from after qc starts (reader.messages). */
  readTopics: readonly TopicName[];
}

export interface QcHarness {
  app: INestApplication;
  /** qc's consumer group in this test file (its own, started at the end of scan.events.v1), also its consumed_event name. */
  group: string;
  /** The test's producer (scan events in). */
  bus: KafkaBus;
  reader: TopicReader;
  /** The qc API as an ops viewer signed in with the identity provider. */
  http(): ReturnType<typeof asCaller>;
}

/**
 * The harness of one test file (call it at the top level): qc, the test's producer and its reader,
 * started in a beforeAll and stopped in an afterAll registered here; read app, bus and reader when a
 * test or a later hook runs.
 */
export function useQcHarness(options: QcHarnessOptions): QcHarness {
  const { kafkaBrokers, kafka, kafkaEnv } = testEnv();
  const group = `qc-it-${randomUUID()}`;
  const config = loadServiceConfig({ ...kafkaEnv, DATABASE_URL: serviceDatabaseUrl('qc'), LOG_LEVEL: 'warn', ...identityEnv(), PORT: '0', QC_CONSUMER_GROUP: group });
  let app: INestApplication | undefined;
  let bus: KafkaBus | undefined;
  let reader: TopicReader | undefined;
  beforeAll(async () => {
    await startGroupAtEnd(kafkaBrokers, group, ['scan.events.v1']);
    app = await createServiceApp(AppModule.forRoot(config), QC_SERVICE, { logger: false });
    await app.init();
    bus = new KafkaBus({ connection: kafka, clientId: options.name, service: options.name, logger: createLogger(options.name, 'warn') });
    await bus.connect();
    reader = await new TopicReader(kafkaBrokers, [...options.readTopics]).start();
  });
  afterAll(async () => {
    await reader?.stop();
    await bus?.disconnect();
    await app?.close();
    await deleteGroup(kafkaBrokers, group);
  });
  const get = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error(`${options.name}: qc is not started (read the harness inside a test or a hook)`);
    return value;
  };
  return {
    get app() {
      return get(app);
    },
    group,
    get bus() {
      return get(bus);
    },
    get reader() {
      return get(reader);
    },
    http: () => asCaller(get(app).getHttpServer(), 'ops-viewer'),
  };
}
