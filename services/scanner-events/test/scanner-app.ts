import { INestApplication } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { createServiceApp } from '@slidecharge/service-kit';
import { identityEnv, serviceDatabaseUrl, testEnv } from '@slidecharge/testing';
import { AppModule } from '../src/app.module';
import { jsonBodyLimitBytes, loadServiceConfig, ServiceConfig } from '../src/config';
import { SERVICE_DESCRIPTION } from '../src/openapi';

/** A development key unique to this test run (the api_client table is shared with other runs). */
export const uniqueDevKey = (): string => `sck_it${randomBytes(5).toString('hex')}_${randomBytes(32).toString('base64url')}`;

export interface ScannerApp {
  app: INestApplication;
  config: ServiceConfig;
  /** SCANNER_DEV_API_KEY of this app: scan-events:write, scan-events:read, dicom:write. */
  devKey: string;
  /** A request with the development key in X-API-Key. */
  post(path: string): request.Test;
  get(path: string): request.Test;
  /** A request without any key. */
  anonymous: ReturnType<typeof request>;
}

/** scanner-events in this process, as production builds it, on the real Postgres and Kafka. */
export async function startScannerApp(env: Record<string, string> = {}): Promise<ScannerApp> {
  const { kafkaEnv } = testEnv();
  const devKey = uniqueDevKey();
  const config = loadServiceConfig({
    ...kafkaEnv,
    DATABASE_URL: serviceDatabaseUrl('scanner-events'),
    LOG_LEVEL: 'error',
    PORT: '0',
    SLIDECHARGE_ENV: 'development',
    ...identityEnv(),
    SCANNER_DEV_API_KEY: devKey,
    ...env,
  });
  const app = await createServiceApp(AppModule.forRoot(config), SERVICE_DESCRIPTION, { logger: false, jsonBodyLimit: jsonBodyLimitBytes(config.SCAN_BATCH_MAX) });
  await app.listen(0, '127.0.0.1');
  const server = app.getHttpServer();
  return {
    app,
    config,
    devKey,
    post: (path) => request(server).post(path).set('x-api-key', devKey),
    get: (path) => request(server).get(path).set('x-api-key', devKey),
    anonymous: request(server),
  };
}
