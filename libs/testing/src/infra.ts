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

/** The label of the containers this module starts: the pid of the test run that owns them. */
const OWNER_LABEL = 'slidecharge.test-infra.pid';
const KAFKA_IMAGE = 'apache/kafka:3.9.1';
const POSTGRES_IMAGE = 'postgres:15-alpine';

/** Containers of earlier test runs whose process is gone (killed before its teardown): removed. */
function removeLeftovers(): void {
  const rows = execFileSync('docker', ['ps', '-a', '--filter', `label=${OWNER_LABEL}`, '--format', `{{.ID}} {{.Label "${OWNER_LABEL}"}}`], { encoding: 'utf8' });
  const orphans = rows
    .split('\n')
    .map((line) => line.trim().split(' '))
    .filter(([id, pid]) => id && !processAlive(Number(pid)))
    .map(([id]) => id);
  if (orphans.length === 0) return;
  execFileSync('docker', ['rm', '-fv', ...orphans], { stdio: 'ignore' });
  console.log(`[test-infra] removed ${orphans.length} container(s) left by an earlier run`);
}

function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A free TCP port on the host (Kafka's advertised listener must name the port the host reaches it on). */
async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Ryuk (testcontainers' reaper) needs its image; where it cannot be pulled, this module removes its containers itself. */
function disableRyukWithoutItsImage(): void {
  if (process.env['TESTCONTAINERS_RYUK_DISABLED'] !== undefined) return;
  const present = execFileSync('docker', ['images', '-q', 'testcontainers/ryuk'], { encoding: 'utf8' }).trim() !== '';
  if (!present) {
    process.env['TESTCONTAINERS_RYUK_DISABLED'] = 'true';
    console.log('[test-infra] no testcontainers/ryuk image: Ryuk disabled (containers removed by the teardown)');
  }
}

// Kept on globalThis: jest loads globalSetup and globalTeardown as separate modules.
const STARTED = '__slidechargeTestContainers';
type Started = { ids: string[] };
const started = (): Started => ((globalThis as Record<string, unknown>)[STARTED] ??= { ids: [] }) as Started;

/**
 * Finds the Postgres and Kafka the tests run against: DATABASE_URL and KAFKA_BROKERS when given (CI and
 * these machines), otherwise testcontainers when a Docker engine answers: Postgres (postgres:15-alpine)
 * and a single-node KRaft Kafka (apache/kafka:3.9.1, plaintext), both labelled with this process's pid
 * and removed by stopTestInfra (globalTeardown). It says which it chose.
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
  removeLeftovers();
  disableRyukWithoutItsImage();
  const { GenericContainer, Wait } = await import('testcontainers');
  const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
  const labels = { [OWNER_LABEL]: String(process.pid) };
  const kafkaPort = await freePort();
  const t0 = Date.now();
  const [pg, kafka] = await Promise.all([
    new PostgreSqlContainer(POSTGRES_IMAGE).withDatabase('slidecharge').withLabels(labels).start(),
    // The image's own KRaft defaults (broker and controller in one); the client listener on the same
    // port inside and outside, so that the address it advertises is the one the host reaches.
    new GenericContainer(KAFKA_IMAGE)
      .withLabels(labels)
      .withEnvironment({
        KAFKA_LISTENERS: `PLAINTEXT://:${kafkaPort},CONTROLLER://:9093`,
        KAFKA_ADVERTISED_LISTENERS: `PLAINTEXT://127.0.0.1:${kafkaPort}`,
        KAFKA_NUM_PARTITIONS: '3',
        KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'false',
      })
      .withExposedPorts({ container: kafkaPort, host: kafkaPort })
      .withWaitStrategy(Wait.forLogMessage(/Kafka Server started/))
      .withStartupTimeout(120_000)
      .start(),
  ]);
  started().ids.push(pg.getId(), kafka.getId());
  console.log(`[test-infra] Postgres ${pg.getHost()}:${pg.getPort()} and Kafka 127.0.0.1:${kafkaPort} started in ${Date.now() - t0} ms`);
  return { databaseUrl: pg.getConnectionUri(), kafkaBrokers: `127.0.0.1:${kafkaPort}`, source: 'testcontainers' };
}

/** Removes the containers resolveTestInfra started (their volumes too); nothing when it used the environment. */
export async function stopTestInfra(): Promise<void> {
  const { ids } = started();
  if (ids.length === 0) return;
  execFileSync('docker', ['rm', '-fv', ...ids], { stdio: 'ignore' });
  console.log(`[test-infra] removed the ${ids.length} test container(s)`);
  ids.length = 0;
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
