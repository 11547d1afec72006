import { runMain, startService } from '@slidecharge/service-kit';
import { AppModule } from './app.module';
import { loadServiceConfig } from './config';
import { ACCESSION_SERVICE } from './openapi';

runMain('accession', async () => {
  const config = loadServiceConfig();
  await startService(AppModule.forRoot(config), ACCESSION_SERVICE, {
    host: config.HOST,
    port: config.PORT,
    shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
  });
});
