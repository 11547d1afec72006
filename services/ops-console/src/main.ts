import { runMain, startService } from '@slidecharge/service-kit';
import { AppModule } from './app.module';
import { loadServiceConfig } from './config';
import { OPS_CONSOLE_SERVICE } from './openapi';

runMain('ops-console', async () => {
  const config = loadServiceConfig();
  await startService(AppModule.forRoot(config), OPS_CONSOLE_SERVICE, {
    host: config.HOST,
    port: config.PORT,
    shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
  });
});
