import 'reflect-metadata';
import { runMain, startService } from '@slidecharge/service-kit';
import { AppModule } from './app.module';
import { loadServiceConfig, SERVICE_NAME } from './config';
import { SERVICE_DESCRIPTION } from './openapi';

/**
 * Nest's shutdown hooks, once done, remove their listeners and re-raise the signal, which kills the
 * process with 143 (128 + SIGTERM) after a clean shutdown. This listener recognizes that re-raise (it
 * is then the only listener left) and exits 0, which also lets pino flush its last lines. The first
 * signal, or a second one during shutdown, is left to Nest and startService (deadline, exit 1).
 */
function exitZeroAfterGracefulShutdown(): void {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (process.listenerCount(signal) === 1) process.exit(0);
    });
  }
}

runMain(SERVICE_NAME, async () => {
  const config = loadServiceConfig();
  await startService(AppModule.forRoot(config), SERVICE_DESCRIPTION, {
    host: config.HOST,
    port: config.PORT,
    shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
  });
  exitZeroAfterGracefulShutdown();
});
