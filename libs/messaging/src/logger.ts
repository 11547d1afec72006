import pino, { Logger } from 'pino';
import { logLevel, LogEntry } from 'kafkajs';
import { currentCorrelationId } from './correlation';

export type { Logger } from 'pino';

/** Structured JSON logs, one line per event, with the service name and the current correlation id. */
export function createLogger(service: string, level = process.env['LOG_LEVEL'] ?? 'info'): Logger {
  return pino({
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    mixin: () => {
      const correlationId = currentCorrelationId();
      return correlationId ? { correlationId } : {};
    },
  });
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
