import { DynamicModule, INestApplication, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { Logger as PinoNestLogger, LoggerModule } from 'nestjs-pino';
import { createLogger, Logger } from '@slidecharge/messaging';
import type { ServiceName } from './auth/access-matrix';
import { Authentication } from './auth/authentication';
import { HTTP_EXPOSURE, HttpExposure } from './auth/auth.providers';
import { applyAccessToOpenApi } from './auth/openapi-security';
import { ConfigError } from './config';
import { ErrorAnswerFilter } from './error-answer.filter';
import { useHostAllowList } from './host-allow-list';
import { CORRELATION_HEADER, correlationIdFrom } from './http';
import { HTTP_SETTINGS, HttpSettings } from './http-settings';
import { useJsonBody } from './json-body';
import { ServiceRuntime } from './runtime';
import { useSecurityHeaders } from './security-headers';
import { httpTracing } from './http-tracing';
import { currentTracing, startTracing } from './tracing';
import { UnsafeUrlTextInterceptor } from './url-text.interceptor';

export interface ServiceDescription {
  /** Service name as it appears in logs, metrics, dead-letter records and the access matrix. */
  name: ServiceName;
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
  return applyAccessToOpenApi(SwaggerModule.createDocument(app, config), service.name);
}

/** nestjs-pino module wired to the service's pino logger: request logs carry the correlation id. */
export function loggerModule(logger: Logger) {
  return LoggerModule.forRoot({
    pinoHttp: {
      logger,
      // The request id is the correlation id: the caller's x-correlation-id when it is sane, else a new
      // one. CorrelationMiddleware (which runs after this) adopts it, echoes it and scopes the request.
      genReqId: (req) =>
        correlationIdFrom(req.headers[CORRELATION_HEADER], (headerLength) =>
          logger.warn({ headerLength, url: req.url?.split('?')[0] }, 'x-correlation-id header is not 1-128 printable characters; replaced by a new id'),
        ),
      autoLogging: { ignore: (req) => req.url?.startsWith('/health') ?? false },
      quietReqLogger: true,
      // A request line says what was called and how it ended, nothing else: no headers (credentials),
      // no query string (a FHIR search carries the patient's identifier).
      serializers: {
        req: (req: { id?: unknown; method?: string; url?: string; remoteAddress?: string }) => ({
          id: req.id,
          method: req.method,
          path: (req.url ?? '').split('?')[0],
          remoteAddress: req.remoteAddress,
        }),
        res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
      },
    },
  });
}

export interface HttpOptions {
  /** Largest JSON request body (bytes or a size such as '2mb'); default 2mb. */
  jsonBodyLimit?: string | number;
  /** false silences Nest's own logger (tests); default: the service's JSON logger. */
  logger?: false;
}

/**
 * Builds the service's Nest application as it runs in production (tracing, security headers, Host allow-list,
 * checked JSON bodies and URLs, error answers without internals, JSON logs, OpenAPI at /docs and
 * /openapi.json), without listening: startService and the tests share it. The HTTP settings come from
 * the service's configuration (HTTP_SETTINGS, provided by serviceModule).
 */
export async function createServiceApp(
  module: Type<unknown> | DynamicModule,
  service: ServiceDescription,
  http: HttpOptions = {},
): Promise<NestExpressApplication> {
  // Before anything that may start a span (consumers, the outbox relay, the MLLP listener).
  startTracing(service.name);
  const app = await NestFactory.create<NestExpressApplication>(module, {
    bufferLogs: http.logger !== false,
    bodyParser: false,
    ...(http.logger === false ? { logger: false } : {}),
  });
  const settings = app.get<HttpSettings>(HTTP_SETTINGS);
  // First: every request has a server span, refused ones included, and answers with its traceparent.
  app.use(httpTracing());
  useSecurityHeaders(app, settings);
  useHostAllowList(app, settings);
  // Authentication before the body parser: a request without a valid credential is answered before
  // anything of its body is read.
  app.use(app.get(Authentication).middleware());
  useJsonBody(app, settings, http.jsonBodyLimit ?? '2mb');
  app.useGlobalInterceptors(new UnsafeUrlTextInterceptor(settings.jsonMaxDepth));
  app.useGlobalFilters(new ErrorAnswerFilter(app.getHttpAdapter(), app.get(ServiceRuntime).logger));
  if (http.logger !== false) app.useLogger(app.get(PinoNestLogger));
  if (app.get<HttpExposure>(HTTP_EXPOSURE).docs !== 'off') {
    const document = buildOpenApiDocument(app, service);
    SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'openapi.json', raw: ['json'] });
  }
  return app;
}

/**
 * Starts a service (its config already validated by the caller): createServiceApp, listen, and
 * graceful shutdown on SIGTERM/SIGINT with a deadline.
 */
export async function startService(
  module: Type<unknown> | DynamicModule,
  service: ServiceDescription,
  listen: { host: string; port: number; shutdownTimeoutMs: number } & HttpOptions,
): Promise<INestApplication> {
  const app = await createServiceApp(module, service, listen);
  await app.listen(listen.port, listen.host);
  const logger = createLogger(service.name);
  logger.info({ host: listen.host, port: listen.port }, `${service.name} listening`);
  // Our own signal handling rather than Nest's enableShutdownHooks (which re-raises the signal after
  // closing, so a clean stop would end with 128+signal): close runs the providers' shutdown hooks in
  // order (consumers finish their message and commit, relay finishes its batch, connections close),
  // then exit 0; past the deadline, exit 1.
  let stopping = false;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'shutting down');
      setTimeout(() => {
        logger.error({ timeoutMs: listen.shutdownTimeoutMs }, 'shutdown took too long; exiting');
        process.exit(1);
      }, listen.shutdownTimeoutMs).unref();
      closeAndFlush(app, logger).then(
        () => {
          logger.info('shut down cleanly');
          process.exit(0);
        },
        (err: unknown) => {
          logger.error({ err }, 'shutdown failed');
          process.exit(1);
        },
      );
    });
  }
  return app;
}

/** Closes the app, then sends the spans still buffered (a no-op without an OTLP endpoint). */
async function closeAndFlush(app: INestApplication, logger: Logger): Promise<void> {
  await app.close();
  await currentTracing()
    ?.shutdown()
    .catch((err: unknown) => logger.warn({ err }, 'trace export at shutdown failed'));
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

/** The OpenAPI document of a service, built as in production but without listening or starting consumers. */
export async function openApiDocumentOf(module: Type<unknown> | DynamicModule, service: ServiceDescription): Promise<OpenAPIObject> {
  const app = await createServiceApp(module, service, { logger: false });
  try {
    return buildOpenApiDocument(app, service);
  } finally {
    await app.close();
  }
}
