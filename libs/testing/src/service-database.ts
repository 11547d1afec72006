import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { WORKSPACE_ROOT } from './infra';
import type { ServiceName } from './service-process';
import { testEnv } from './topic-reader';

const urls = new Map<string, string>();

/**
 * The DATABASE_URL a service runs with in the tests: the test database as the service's own
 * least-privileged role (slidecharge_<service>; the same setup as production, run by globalSetup).
 * Services refuse to start as the administrator (DATABASE_URL): build apps and processes with this.
 * The one place that knows roles and passwords is scripts/lib/service-roles.mjs, asked once per service.
 */
export function serviceDatabaseUrl(service: ServiceName, adminUrl = testEnv().databaseUrl): string {
  const key = `${service} ${adminUrl}`;
  let url = urls.get(key);
  if (url === undefined) {
    url = execFileSync(process.execPath, [join(WORKSPACE_ROOT, 'scripts/service-database-url.mjs'), service], {
      cwd: WORKSPACE_ROOT,
      env: { ...process.env, DATABASE_URL: adminUrl },
      encoding: 'utf8',
    }).trim();
    urls.set(key, url);
  }
  return url;
}

/**
 * Settings for a test that checks what a service wrote to its outbox (one record per decision, their
 * order, their transaction): the relay keeps published records, marked, instead of deleting them as it
 * publishes them (the default, OUTBOX_RETENTION_DAYS=0). Without them such a count races the relay.
 */
export const KEEP_PUBLISHED_OUTBOX: Readonly<Record<string, string>> = { OUTBOX_RETENTION_DAYS: '7' };
