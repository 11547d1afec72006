import { INestApplication } from '@nestjs/common';
import { AddressInfo } from 'node:net';
import { Pool } from 'pg';
import { CaseSnapshot } from '@slidecharge/contracts';
import { createServiceApp } from '@slidecharge/service-kit';
import { asCaller, identityEnv, KEEP_PUBLISHED_OUTBOX, serviceDatabaseUrl, TestCaller, testEnv, TopicReader } from '@slidecharge/testing';
import { AppModule } from '../src/app.module';
import { AccessionConfig, loadServiceConfig } from '../src/config';
import { MllpListener } from '../src/hl7/mllp-listener';
import { ACCESSION_SERVICE } from '../src/openapi';

/**
 * Accession in-process (AppModule, as production builds it) against the real Postgres, Kafka and
 * identity provider, for integration test files.
 */

/**
 * GET /cases/{accessionNumber} answers the case with the trace id of its current version (the request
 * or HL7 message that wrote it): the case alone, as events and writes carry it, after checking that
 * the trace id is one (32 lower-case hex).
 */
export function caseOfAnswer(body: Record<string, unknown>): CaseSnapshot {
  const { traceId, ...snapshot } = body;
  expect(traceId).toMatch(/^[0-9a-f]{32}$/);
  return snapshot as unknown as CaseSnapshot;
}

/** The case events accession publishes. */
export const CASE_TOPIC = 'lis.case-events.v1';

/**
 * Accession's settings for a test: the harness's Kafka principal, accession's database, development
 * mode (no sender allow-list), MLLP on a free port (0: the default 2575 may be taken by a running stack
 * or another test process); `over` adds or replaces settings.
 */
export function accessionEnv(over: Record<string, string> = {}): Record<string, string> {
  return {
    ...testEnv().kafkaEnv,
    DATABASE_URL: serviceDatabaseUrl('accession'),
    LOG_LEVEL: 'warn',
    ...identityEnv(),
    SLIDECHARGE_ENV: 'development',
    ACCESSION_MLLP_PORT: '0',
    ...KEEP_PUBLISHED_OUTBOX,
    ...over,
  };
}

export interface RunningAccession {
  app: INestApplication;
  /** http://127.0.0.1:<port> of its HTTP listener. */
  baseUrl: string;
  /** The port its MLLP listener took when it started (throws when it took none). */
  readonly mllpPort: number;
}

/** Starts accession with `config`, HTTP on a free loopback port. */
export async function startAccessionApp(config: AccessionConfig): Promise<RunningAccession> {
  const app = await createServiceApp(AppModule.forRoot(config), ACCESSION_SERVICE, { logger: false });
  await app.init();
  await app.listen(0, '127.0.0.1');
  const port = app.get(MllpListener).port;
  return {
    app,
    baseUrl: `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`,
    get mllpPort(): number {
      if (!port) throw new Error('the MLLP listener is not listening');
      return port;
    },
  };
}

export interface AccessionHarnessOptions {
  /** Settings over accessionEnv()'s. */
  env?: Record<string, string>;
  /** Who http() calls as when not told. */
  defaultCaller?: TestCaller;
}

export interface AccessionHarness extends RunningAccession {
  config: AccessionConfig;
  /** Reads the case events topic from before accession starts. */
  reader: TopicReader;
  pool: Pool;
  /** The accession API as a caller with a token from the identity provider. */
  http(caller?: TestCaller): ReturnType<typeof asCaller>;
}

/**
 * The harness of one test file (call it at the top level): a reader of the case events, then accession,
 * started in a beforeAll and stopped in an afterAll registered here. config, pool and http may be read
 * at once; app, baseUrl, mllpPort and reader when a test or a later hook runs.
 */
export function useAccessionHarness(options: AccessionHarnessOptions = {}): AccessionHarness {
  const { databaseUrl, kafkaBrokers } = testEnv();
  const config = loadServiceConfig(accessionEnv(options.env));
  const pool = new Pool({ connectionString: databaseUrl });
  let reader: TopicReader | undefined;
  let running: RunningAccession | undefined;
  beforeAll(async () => {
    reader = await new TopicReader(kafkaBrokers, [CASE_TOPIC]).start();
    running = await startAccessionApp(config);
  });
  afterAll(async () => {
    await running?.app.close();
    await reader?.stop();
    await pool.end();
  });
  const get = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('accession is not started (read the harness inside a test or a hook)');
    return value;
  };
  return {
    config,
    pool,
    get app() {
      return get(running).app;
    },
    get baseUrl() {
      return get(running).baseUrl;
    },
    get mllpPort() {
      return get(running).mllpPort;
    },
    get reader() {
      return get(reader);
    },
    http: (caller = options.defaultCaller ?? 'lis-integration') => asCaller(get(running).baseUrl, caller),
  };
}
