import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { eventually, freePort, ServiceProcess, testEnv, WORKSPACE_ROOT } from '@slidecharge/testing';

/**
 * A service process given the Postgres administrator's (superuser's) URL instead of its own role's
 * refuses to start: it exits 1 before it is ready and says on stderr which role and what to do.
 * (The other e2e specs start every service with its own role.)
 */
it('billing started with the superuser URL exits 1 and says why', async () => {
  const { databaseUrl, kafkaBrokers } = testEnv();
  const logDir = 'e2e-database-role-logs';
  rmSync(join(WORKSPACE_ROOT, 'tmp', logDir), { recursive: true, force: true });
  const billing = new ServiceProcess('billing', await freePort(), { DATABASE_URL: databaseUrl, KAFKA_BROKERS: kafkaBrokers }, logDir);
  await expect(billing.start()).rejects.toThrow('billing exited with 1 before it was ready');
  // The refusal is the process's last output; wait until its log file has it all.
  const logFile = join(WORKSPACE_ROOT, 'tmp', logDir, 'billing.log');
  const log = await eventually(async () => {
    const text = readFileSync(logFile, 'utf8');
    return text.includes('service-database-url.mjs') ? text : undefined;
  }, 10_000, 'the refusal in billing.log');
  expect(log).toMatch(/billing: invalid configuration:\s+- DATABASE_URL connects as Postgres role "[^"]+", which is a superuser\. billing must connect as its own/);
  expect(log).toContain('node scripts/service-database-url.mjs billing');
  expect(log).not.toContain('listening');
});
