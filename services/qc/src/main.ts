import { runMain, startService } from '@slidecharge/service-kit';
import { AppModule } from './app.module';
import { loadServiceConfig } from './config';
import { QC_SERVICE } from './openapi';

runMain('qc', async () => {
  const config = loadServiceConfig();
  await startService(AppModule.forRoot(config), QC_SERVICE, {
    host: config.HOST,
    port: config.PORT,
    shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
  });
});
