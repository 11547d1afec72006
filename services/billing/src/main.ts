import { runMain, startService } from '@slidecharge/service-kit';
import { AppModule } from './app.module';
import { loadServiceConfig } from './config';
import { BILLING_SERVICE } from './openapi';

runMain('billing', async () => {
  const config = loadServiceConfig();
  await startService(AppModule.forRoot(config), BILLING_SERVICE, {
    host: config.HOST,
    port: config.PORT,
    shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
  });
  // After its graceful shutdown Nest raises the signal again, which would end the process with
  // 128+signal although nothing was lost. Keeping a listener absorbs it: the process then exits 0
  // once every connection is closed, or 1 from startService's deadline if something hangs.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => undefined);
});
