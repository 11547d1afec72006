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
});
