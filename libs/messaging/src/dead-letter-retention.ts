import { DeadLetterStore } from './dead-letter-store';
import { Logger } from './logger';
import { messagingMetrics } from './metrics';
import { PeriodicTask } from './periodic-task';

export interface DeadLetterRetentionOptions {
  store: DeadLetterStore;
  /** The service's schema, for the log line and the metric. */
  schema: string;
  /** Dead letters that failed longer ago than this are deleted (DEAD_LETTER_RETENTION_DAYS). */
  retentionDays: number;
  /** How often to purge (default hourly); the first purge runs at start. */
  intervalMs?: number;
  logger: Logger;
}

/**
 * Deletes old rows of the service's dead_letter table: they hold whole messages, which may carry
 * patient data, so they are kept only as long as an operator needs to look at and replay them.
 */
export class DeadLetterRetention {
  private readonly task: PeriodicTask;
  private readonly log: Logger;

  constructor(private readonly options: DeadLetterRetentionOptions) {
    this.log = options.logger.child({ component: 'dead-letter-retention', schema: options.schema });
    this.task = new PeriodicTask(
      () => this.purgeOnce(),
      options.intervalMs ?? 3_600_000,
      (err) => this.log.warn({ err }, 'dead-letter purge failed; next run retries'),
    );
  }

  start(): void {
    this.task.start();
  }

  async stop(): Promise<void> {
    await this.task.stop();
  }

  /** Deletes what failed more than retentionDays ago; logs and returns how many rows went. */
  async purgeOnce(): Promise<number> {
    const purged = await this.options.store.purgeOlderThan(this.options.retentionDays);
    messagingMetrics.deadLettersPurged.inc({ schema: this.options.schema }, purged);
    this.log.info({ purged, retentionDays: this.options.retentionDays }, `purged ${purged} dead letters older than ${this.options.retentionDays} days`);
    return purged;
  }
}
