import { randomUUID } from 'node:crypto';
import { DeadLetter, DeadLetterStoredOriginal } from '@slidecharge/contracts';
import { brokerRefusal } from './broker-refusal';
import { buildDeadLetterRecord, DeadLetterRecord, FailedMessage } from './dead-letter-record';
import { DeadLetterStore } from './dead-letter-store';
import { Logger } from './logger';
import { messagingMetrics } from './metrics';

/** Waits `ms` while keeping the partition (heartbeats); throws when the consumer is stopping. */
export type PartitionPause = (ms: number) => Promise<void>;

export interface DeadLetterWriterOptions {
  store: DeadLetterStore;
  /** Sends one record to the dead-letter topic with acks from all in-sync replicas. */
  send: (record: DeadLetterRecord) => Promise<void>;
  /** Size budget of one dead-letter record (value, key and headers). */
  maxRecordBytes: number;
  logger: Logger;
}

const FIRST_RETRY_MS = 500;
const LAST_RETRY_MS = 30_000;

/**
 * Puts a failed message somewhere safe before its offset moves: first whole into the service's
 * dead_letter table, then a record that fits the broker's limit onto the dead-letter topic. Each
 * step is retried with backoff (500 ms doubling to 30 s) for as long as it takes, the partition
 * waiting meanwhile (heartbeats keep the group membership); a stop of the consumer ends the wait
 * without committing, so the message is read again after the restart.
 */
export class DeadLetterWriter {
  private readonly log: Logger;

  constructor(private readonly options: DeadLetterWriterOptions) {
    this.log = options.logger.child({ component: 'dead-letters' });
  }

  async write(failed: Omit<FailedMessage, 'deadLetterId' | 'failedAt' | 'stored'>, pause: PartitionPause): Promise<DeadLetter> {
    const deadLetterId = randomUUID();
    const failedAt = new Date();
    const stored = await this.persistently('store', pause, () =>
      this.options.store.save({
        id: deadLetterId,
        failedAt,
        consumerGroup: failed.consumerGroup,
        topic: failed.source.topic,
        partition: failed.source.partition,
        offset: failed.source.offset,
        key: failed.source.key,
        reason: failed.reason,
        message: failed.message,
        headers: failed.source.headers,
        value: failed.value,
      }),
    );
    const record = await this.sendFitting({ ...failed, deadLetterId, failedAt, stored }, pause);
    messagingMetrics.deadLettered.inc({ topic: failed.source.topic, reason: failed.reason });
    this.log.warn(
      {
        deadLetterId,
        reason: failed.reason,
        errors: record.value.errors,
        source: { topic: failed.source.topic, partition: failed.source.partition, offset: failed.source.offset },
        sizeBytes: stored.sizeBytes,
        originalInRecord: !record.value.originalTruncated,
      },
      `dead-lettered: ${record.value.message}`,
    );
    return record.value;
  }

  /** Sends the record; should the broker refuse it anyway (a topic limit below the budget), sends it without the original. */
  private async sendFitting(failed: FailedMessage & { stored: DeadLetterStoredOriginal }, pause: PartitionPause): Promise<DeadLetterRecord> {
    let budget = this.options.maxRecordBytes;
    return this.persistently('send', pause, async () => {
      const record = buildDeadLetterRecord(failed, budget);
      try {
        await this.options.send(record);
      } catch (e) {
        if (brokerRefusal(e) !== undefined) budget = 0;
        throw e;
      }
      return record;
    });
  }

  private async persistently<T>(step: 'store' | 'send', pause: PartitionPause, fn: () => Promise<T>): Promise<T> {
    let delay = FIRST_RETRY_MS;
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        messagingMetrics.deadLetterWriteFailures.inc({ step });
        this.log.error({ err, step, attempt, retryInMs: delay }, `dead letter could not be ${step === 'store' ? 'stored' : 'sent'}; retrying`);
        await pause(delay);
        delay = Math.min(delay * 2, LAST_RETRY_MS);
      }
    }
  }
}
