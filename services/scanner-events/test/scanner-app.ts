import { INestApplication } from '@nestjs/common';
import { randomBytes, randomUUID } from 'node:crypto';
import request from 'supertest';
import { createServiceApp } from '@slidecharge/service-kit';
import { deleteGroup, identityEnv, KEEP_PUBLISHED_OUTBOX, serviceDatabaseUrl, startGroupAtEnd, testEnv } from '@slidecharge/testing';
import { AppModule } from '../src/app.module';
import { jsonBodyLimitBytes, loadServiceConfig, ServiceConfig } from '../src/config';
import { SERVICE_DESCRIPTION } from '../src/openapi';

/** A development key unique to this test run (the api_client table is shared with other runs). */
export const uniqueDevKey = (): string => `sck_it${randomBytes(5).toString('hex')}_${randomBytes(32).toString('base64url')}`;

export interface ScannerApp {
  app: INestApplication;
  config: ServiceConfig;
  /** The app's own consumer group of scanner.ingress.v1 (the topic is shared with other test runs). */
  ingressGroup: string;
  /** SCANNER_DEV_API_KEY of this app: scan-events:write, scan-events:read, dicom:write. */
  devKey: string;
  /** A request with the development key in X-API-Key. */
  post(path: string): request.Test;
  get(path: string): request.Test;
  /** A request without any key. */
  anonymous: ReturnType<typeof request>;
  /** Stops the app and deletes its consumer group. */
  close(): Promise<void>;
}

/**
 * scanner-events in this process, as production builds it, on the real Postgres and Kafka. Its ingress
 * consumer has a group of its own that starts at the current end of the topic, so it reads only what
 * is sent after it starts (other runs share the broker).
 */
export async function startScannerApp(env: Record<string, string> = {}): Promise<ScannerApp> {
  const { kafkaEnv, kafkaBrokers } = testEnv();
  const devKey = uniqueDevKey();
  const ingressGroup = `scanner-events-it-${randomUUID()}`;
  await startGroupAtEnd(kafkaBrokers, ingressGroup, ['scanner.ingress.v1']);
  const config = loadServiceConfig({
    ...kafkaEnv,
    DATABASE_URL: serviceDatabaseUrl('scanner-events'),
    LOG_LEVEL: 'error',
    PORT: '0',
    SLIDECHARGE_ENV: 'development',
    ...identityEnv(),
    SCANNER_DEV_API_KEY: devKey,
    SCANNER_INGRESS_CONSUMER_GROUP: ingressGroup,
    ...KEEP_PUBLISHED_OUTBOX,
    ...env,
  });
  const app = await createServiceApp(AppModule.forRoot(config), SERVICE_DESCRIPTION, { logger: false, jsonBodyLimit: jsonBodyLimitBytes(config.SCAN_BATCH_MAX) });
  await app.listen(0, '127.0.0.1');
  const server = app.getHttpServer();
  return {
    app,
    config,
    ingressGroup,
    devKey,
    post: (path) => request(server).post(path).set('x-api-key', devKey),
    get: (path) => request(server).get(path).set('x-api-key', devKey),
    anonymous: request(server),
    close: async () => {
      await app.close();
      await deleteGroup(kafkaBrokers, ingressGroup);
    },
  };
}
