import { ConfigError, createServiceApp } from '@slidecharge/service-kit';
import { identityEnv, testEnv } from '@slidecharge/testing';
import { AppModule } from '../src/app.module';
import { loadServiceConfig } from '../src/config';
import { QC_SERVICE } from '../src/openapi';

/**
 * A service refuses to start on a connection with more rights than its own schema needs: here qc, built
 * as production builds it, given the administrator's (superuser's) URL instead of its own role's.
 * (qc.int-spec.ts starts it with its own role.)
 */
it('qc refuses to start as the Postgres superuser, naming the role and what to do', async () => {
  const { databaseUrl, kafkaEnv } = testEnv();
  const config = loadServiceConfig({ ...kafkaEnv, DATABASE_URL: databaseUrl, LOG_LEVEL: 'fatal', PORT: '0', ...identityEnv() });
  const app = await createServiceApp(AppModule.forRoot(config), QC_SERVICE, { logger: false });
  try {
    const started = app.init();
    await expect(started).rejects.toBeInstanceOf(ConfigError);
    await expect(started).rejects.toThrow(/DATABASE_URL connects as Postgres role "[^"]+", which is a superuser\. qc must connect as its own least-privileged role/);
    await expect(started).rejects.toThrow('node scripts/service-database-url.mjs qc');
  } finally {
    await app.close();
  }
});
