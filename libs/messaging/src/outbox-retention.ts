import { Logger } from './logger';
import { messagingMetrics } from './metrics';
import { PeriodicTask } from './periodic-task';
import { quoteSchema, SqlExecutor } from './sql';

export interface OutboxRetentionOptions {
  /** The service's schema: its table is "<schema>".outbox. */
  schema: string;
  database: SqlExecutor;
  /** Records published longer ago than this are deleted (OUTBOX_RETENTION_DAYS). */
  retentionDays: number;
  /** How often to purge (default hourly). */
  intervalMs?: number;
  /**
   * When the first purge runs after start (default 5 minutes): a service that starts after an outage
   * first catches up on its backlog, without deletes competing for the database.
   */
  firstRunAfterMs?: number;
  /** Rows deleted per statement (default 5,000): each delete is a short transaction of its own. */
  batchSize?: number;
  /** Most rows one run deletes (default 100,000), so that a first run on a long history does not hold the database busy for long. */
  maxPerRun?: number;
  logger: Logger;
}

/**
 * Deletes the service's outbox records once Kafka has had them for retentionDays: they are a copy of
 * what went out (payloads with patient ids), needed only until published. Records not yet published
 * and parked ones (refused by the broker, waiting for a person) are never deleted. Kafka's own
 * retention keeps the events; the consumers' inboxes keep what they applied.
 */
export class OutboxRetention {
  private readonly task: PeriodicTask;
  private readonly log: Logger;

  constructor(private readonly options: OutboxRetentionOptions) {
    this.log = options.logger.child({ component: 'outbox-retention', schema: options.schema });
    this.task = new PeriodicTask(
      () => this.purgeOnce(),
      options.intervalMs ?? 3_600_000,
      (err) => this.log.warn({ err }, 'outbox purge failed; next run retries'),
      options.firstRunAfterMs ?? 300_000,
    );
  }

  start(): void {
    this.task.start();
  }

  async stop(): Promise<void> {
    await this.task.stop();
  }

  /** Deletes records published more than retentionDays ago, in batches, up to maxPerRun; returns how many went. */
  async purgeOnce(): Promise<number> {
    const { schema, retentionDays, batchSize = 5_000, maxPerRun = 100_000 } = this.options;
    const table = `${quoteSchema(schema)}.outbox`;
    let purged = 0;
    for (;;) {
      const limit = Math.min(batchSize, maxPerRun - purged);
      const deleted = await this.options.database.$executeRawUnsafe(
        `DELETE FROM ${table} WHERE id IN (SELECT id FROM ${table} WHERE published_at < now() - make_interval(days => $1::int) LIMIT $2)`,
        retentionDays,
        limit,
      );
      purged += deleted;
      if (deleted < limit || purged >= maxPerRun) break;
    }
    messagingMetrics.outboxPurged.inc({ schema }, purged);
    this.log.info({ purged, retentionDays }, `purged ${purged} outbox records published more than ${retentionDays} days ago`);
    return purged;
  }
}
