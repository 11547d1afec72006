import { BeforeApplicationShutdown, Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import type { Logger } from '@slidecharge/messaging';
import { ServiceRuntime } from '@slidecharge/service-kit';
import { ACCESSION_CONFIG, AccessionConfig } from '../config';
import { safeError } from './hl7-intake';
import { Hl7MessageRepository } from './hl7-message.repository';

/** How often the purge runs, and how long after the start it first runs. */
const PURGE_EVERY_MS = 60 * 60 * 1000;
const FIRST_PURGE_AFTER_MS = 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Retention of received HL7 messages (their raw text is PHI): every hour, and a minute after the
 * start, deletes hl7_message rows received more than ACCESSION_HL7_RETENTION_DAYS days ago, in
 * batches, and logs how many. Several instances may purge at once (the deletes do not conflict).
 */
@Injectable()
export class Hl7RetentionService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly log: Logger;
  private timers: NodeJS.Timeout[] = [];
  private running: Promise<unknown> | undefined;

  constructor(
    @Inject(ACCESSION_CONFIG) private readonly config: Pick<AccessionConfig, 'ACCESSION_HL7_RETENTION_DAYS'>,
    private readonly messages: Hl7MessageRepository,
    runtime: ServiceRuntime,
  ) {
    this.log = runtime.logger.child({ component: 'hl7-retention' });
  }

  onApplicationBootstrap(): void {
    this.timers = [setTimeout(() => this.runOnce(), FIRST_PURGE_AFTER_MS), setInterval(() => this.runOnce(), PURGE_EVERY_MS)];
    for (const timer of this.timers) timer.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers = [];
    await this.running;
  }

  /** Deletes the messages older than the retention at `now`; returns how many. */
  async purge(now = new Date()): Promise<number> {
    const days = this.config.ACCESSION_HL7_RETENTION_DAYS;
    const before = new Date(now.getTime() - days * DAY_MS);
    const deleted = await this.messages.purgeReceivedBefore(before);
    this.log.info({ deleted, retentionDays: days, receivedBefore: before.toISOString() }, `purged ${deleted} HL7 messages older than ${days} days`);
    return deleted;
  }

  private runOnce(): void {
    if (this.running) return;
    this.running = this.purge()
      .catch((err: unknown) => this.log.error({ err: safeError(err) }, 'HL7 message purge failed; it runs again within the hour'))
      .finally(() => {
        this.running = undefined;
      });
  }
}
