import { execFileSync, execSync } from 'node:child_process';
import { join } from 'node:path';

export interface TestInfra {
  databaseUrl: string;
  kafkaBrokers: string;
  source: 'environment' | 'testcontainers';
}

export const WORKSPACE_ROOT = join(__dirname, '../../..');

function dockerAvailable(): boolean {
  try {
    execSync('docker info', { stdio: 'ignore', timeout: 5000 });
    return true;
  } catch {
    return false;
  }
}

let stopContainers: (() => Promise<void>) | undefined;

/**
 * Finds the Postgres and Kafka the tests run against: DATABASE_URL and KAFKA_BROKERS when given (CI and
 * these machines), otherwise testcontainers when a Docker engine answers. It says which it chose.
 */
export async function resolveTestInfra(): Promise<TestInfra> {
  const { DATABASE_URL, KAFKA_BROKERS } = process.env;
  if (DATABASE_URL && KAFKA_BROKERS) {
    console.log(`[test-infra] using services from the environment: DATABASE_URL=${DATABASE_URL.replace(/\/\/[^@]*@/, '//***@')} KAFKA_BROKERS=${KAFKA_BROKERS}`);
    return { databaseUrl: DATABASE_URL, kafkaBrokers: KAFKA_BROKERS, source: 'environment' };
  }
  if (!dockerAvailable()) {
    throw new Error(
      '[test-infra] no DATABASE_URL/KAFKA_BROKERS given and no Docker engine for testcontainers. ' +
        'Start Kafka with scripts/kafka.sh start and export DATABASE_URL and KAFKA_BROKERS (see README), or run with Docker.',
    );
  }
  console.log('[test-infra] DATABASE_URL/KAFKA_BROKERS not set; starting Postgres and Kafka with testcontainers');
  const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
  const { KafkaContainer } = await import('@testcontainers/kafka');
  const [pg, kafka] = await Promise.all([
    new PostgreSqlContainer('postgres:15-alpine').withDatabase('slidecharge').start(),
    new KafkaContainer('confluentinc/cp-kafka:7.7.1').withKraft().start(),
  ]);
  stopContainers = async () => {
    await Promise.all([pg.stop(), kafka.stop()]);
  };
  return {
    databaseUrl: pg.getConnectionUri(),
    kafkaBrokers: `${kafka.getHost()}:${kafka.getMappedPort(9093)}`,
    source: 'testcontainers',
  };
}

export async function stopTestInfra(): Promise<void> {
  await stopContainers?.();
}

/**
 * Sets up the database and the services' own roles, then applies every service's committed migrations
 * as its role (the same command operators run), quietly unless it fails. Skipped when the caller already did it for this database (scripts/test.sh sets
 * SLIDECHARGE_MIGRATED to the DATABASE_URL it migrated).
 */
export function applyMigrations(databaseUrl: string): void {
  if (process.env['SLIDECHARGE_MIGRATED'] === databaseUrl) return;
  try {
    execFileSync('node', [join(WORKSPACE_ROOT, 'scripts/prisma.mjs'), 'migrate'], {
      cwd: WORKSPACE_ROOT,
      env: { ...process.env, DATABASE_URL: databaseUrl },
      stdio: 'pipe',
    });
  } catch (e) {
    const failed = e as { stdout?: Buffer; stderr?: Buffer };
    process.stderr.write(`${failed.stdout?.toString() ?? ''}${failed.stderr?.toString() ?? ''}`);
    throw new Error('[test-infra] migrations failed (output above)');
  }
  console.log('[test-infra] migrations applied');
}
