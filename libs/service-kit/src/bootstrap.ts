import { DynamicModule, INestApplication, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { Logger as PinoNestLogger, LoggerModule } from 'nestjs-pino';
import { createLogger, Logger } from '@slidecharge/messaging';
import { ConfigError } from './config';

export interface ServiceDescription {
  /** Service name as it appears in logs, metrics and dead-letter records. */
  name: string;
  title: string;
  description: string;
  version: string;
}

/** Builds the service's OpenAPI document from its controllers (also used by the docs test). */
export function buildOpenApiDocument(app: INestApplication, service: ServiceDescription): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle(service.title)
    .setDescription(service.description)
    .setVersion(service.version)
    .addServer('/')
    .build();
  return SwaggerModule.createDocument(app, config);
}

/** nestjs-pino module wired to the service's pino logger: request logs carry the correlation id. */
export function loggerModule(logger: Logger) {
  return LoggerModule.forRoot({
    pinoHttp: {
      logger,
      genReqId: (req, res) => (res.getHeader('x-correlation-id') as string | undefined) ?? String(req.headers['x-correlation-id'] ?? ''),
      customProps: (req) => ({ correlationId: req.id }),
      autoLogging: { ignore: (req) => req.url?.startsWith('/health') ?? false },
      quietReqLogger: true,
    },
  });
}

/**
 * Starts a service: validated config (the caller loads it before building its module), JSON logs,
 * OpenAPI at /docs and /openapi.json, graceful shutdown on SIGTERM/SIGINT (Nest's shutdown hooks stop
 * consumers after their message in flight, commit, and disconnect), with a deadline.
 */
export async function startService(
  module: Type<unknown> | DynamicModule,
  service: ServiceDescription,
  listen: { host: string; port: number; shutdownTimeoutMs: number },
): Promise<INestApplication> {
  const app = await NestFactory.create(module, { bufferLogs: true });
  app.useLogger(app.get(PinoNestLogger));
  app.enableShutdownHooks();
  const document = buildOpenApiDocument(app, service);
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'openapi.json' });
  await app.listen(listen.port, listen.host);
  const logger = createLogger(service.name);
  logger.info({ host: listen.host, port: listen.port }, `${service.name} listening`);
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      logger.info({ signal }, 'shutting down');
      setTimeout(() => {
        logger.error({ timeoutMs: listen.shutdownTimeoutMs }, 'shutdown took too long; exiting');
        process.exit(1);
      }, listen.shutdownTimeoutMs).unref();
    });
  }
  return app;
}

/** Wraps main(): a configuration error prints the variables at fault and exits 1; anything else is logged. */
export function runMain(name: string, main: () => Promise<unknown>): void {
  main().catch((e: unknown) => {
    if (e instanceof ConfigError) {
      process.stderr.write(`${name}: ${e.message}\n`);
    } else {
      createLogger(name).fatal({ err: e }, `${name} failed to start`);
    }
    process.exit(1);
  });
}
