import pino, { DestinationStream, Logger } from 'pino';
import { logLevel, LogEntry } from 'kafkajs';
import { currentCorrelationId } from './correlation';
import { currentTraceId } from './trace-context';
import { REDACTED_PATHS, REDACTION_CENSOR, sanitizeError } from './redaction';

export type { Logger } from 'pino';

/**
 * Structured JSON logs, one line per event, with the service name, the current correlation id and
 * trace id.
 * Credentials and patient data are redacted (REDACTED_PATHS), database errors trimmed to their kind.
 */
export function createLogger(service: string, level = process.env['LOG_LEVEL'] ?? 'info', destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
    redact: { paths: [...REDACTED_PATHS], censor: REDACTION_CENSOR },
    serializers: { err: (err: unknown) => pino.stdSerializers.err(sanitizeError(err) as Error) },
    mixin: () => {
      const correlationId = currentCorrelationId();
      const traceId = currentTraceId();
      return { ...(correlationId ? { correlationId } : {}), ...(traceId ? { traceId } : {}) };
    },
  };
  return destination ? pino(options, destination) : pino(options);
}

/** Routes kafkajs's own log lines into the service logger. */
export function kafkaLogCreator(logger: Logger) {
  const child = logger.child({ component: 'kafkajs' });
  return () =>
    ({ level, log }: LogEntry) => {
      const { message, ...extra } = log;
      // Sends are retried a bounded number of times on purpose (the outbox relay retries the whole
      // batch and consumers drop repeats), so kafkajs's warning about it is noise for operators.
      if (message.startsWith('Limiting retries for the idempotent producer')) return child.debug(extra, message);
      if (level === logLevel.ERROR || level === logLevel.NOTHING) child.error(extra, message);
      else if (level === logLevel.WARN) child.warn(extra, message);
      else if (level === logLevel.INFO) child.info(extra, message);
      else child.debug(extra, message);
    };
}
