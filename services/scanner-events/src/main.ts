import 'reflect-metadata';
import { runMain, startService } from '@slidecharge/service-kit';
import { AppModule } from './app.module';
import { jsonBodyLimitBytes, loadServiceConfig, SERVICE_NAME } from './config';
import { SERVICE_DESCRIPTION } from './openapi';

runMain(SERVICE_NAME, async () => {
  const config = loadServiceConfig();
  await startService(AppModule.forRoot(config), SERVICE_DESCRIPTION, {
    host: config.HOST,
    port: config.PORT,
    shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
    jsonBodyLimit: jsonBodyLimitBytes(config.SCAN_BATCH_MAX),
  });
});
