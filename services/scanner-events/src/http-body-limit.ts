import { HttpAdapterHost } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { Logger } from '@slidecharge/messaging';

export const JSON_BODY_LIMIT = Symbol('JSON_BODY_LIMIT');

/** Room for one event at its largest (long image URI and failure reason) with margin. */
const BYTES_PER_EVENT = 4 * 1024;

/** The JSON body limit a batch of `batchMax` events needs (Express's default of 100 kB fits ~200). */
export function jsonBodyLimitBytes(batchMax: number): number {
  return Math.max(100 * 1024, batchMax * BYTES_PER_EVENT);
}

/**
 * Installs Express's JSON parser with a limit that fits SCAN_BATCH_MAX events. Nest adds its own parser
 * (100 kB) only when no parser named jsonParser is installed yet, and the app is built by
 * service-kit's startService, so this runs as a provider while the module is instantiated (the HTTP
 * adapter exists then under NestFactory.create, before Nest registers its parsers).
 * Returns the limit installed, or null when no Express adapter was there yet (e.g. a TestingModule).
 */
export function installJsonBodyLimit(host: HttpAdapterHost, batchMax: number, logger: Logger): number | null {
  const adapter = host.httpAdapter;
  const limit = jsonBodyLimitBytes(batchMax);
  if (!(adapter instanceof ExpressAdapter)) {
    logger.warn({ limit }, 'no Express adapter while the module was built; JSON bodies keep the default 100 kB limit');
    return null;
  }
  adapter.useBodyParser('json', false, { limit });
  return limit;
}
