import { Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { IncomingMessage, markConsumed } from '@slidecharge/messaging';
import { ServiceRuntime } from '@slidecharge/service-kit';
import { OPS_CONSOLE_CONFIG, OpsConsoleConfig } from '../config';
import { PrismaService } from '../prisma.service';
import { activityOf, factOf, PROJECTED_TOPICS, ProjectedTopic } from './facts';
import { ProjectionChanges } from './projection-changes.service';
import { OPS_CONSOLE_SCHEMA, ProjectionRepository } from './projection.repository';

export type ProjectionOutcome = 'duplicate-event' | 'projected';

/**
 * The read model: consumer group OPS_CONSOLE_CONSUMER_GROUP (default ops-console) of the four topics.
 * Each event's fact is written in one transaction with its event id (libs/messaging markConsumed), so
 * a redelivered event changes nothing; the offset is committed after the transaction.
 */
@Injectable()
export class ProjectionService implements OnApplicationBootstrap {
  constructor(
    @Inject(OPS_CONSOLE_CONFIG) private readonly config: OpsConsoleConfig,
    private readonly prisma: PrismaService,
    private readonly repository: ProjectionRepository,
    private readonly runtime: ServiceRuntime,
    private readonly changes: ProjectionChanges,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.runtime.subscribe({
      groupId: this.config.OPS_CONSOLE_CONSUMER_GROUP,
      topics: PROJECTED_TOPICS,
      handler: async (message) => {
        await this.project(message);
      },
    });
  }

  async project(message: IncomingMessage<ProjectedTopic>): Promise<ProjectionOutcome> {
    const fact = factOf(message.topic, message.value, message.headers);
    const result = await this.prisma.$transaction(async (tx) => {
      if (!(await markConsumed(tx, OPS_CONSOLE_SCHEMA, this.config.OPS_CONSOLE_CONSUMER_GROUP, message.value.eventId, message.topic))) {
        return { outcome: 'duplicate-event' as const };
      }
      await this.repository.write(tx, fact);
      const lags = fact.kind === 'charge' ? await this.repository.lagsOf(tx, fact.chargeId) : undefined;
      return { outcome: 'projected' as const, lags };
    });
    this.runtime.logger.debug({ topic: message.topic, eventId: message.value.eventId, type: message.value.type, outcome: result.outcome }, `projection: ${message.value.type} ${result.outcome}`);
    if (result.outcome === 'projected') {
      const activity = fact.kind === 'charge' || fact.kind === 'credit' ? activityOf(fact, result.lags) : undefined;
      this.changes.emit({ topic: message.topic, ...(activity ? { activity } : {}) });
    }
    return result.outcome;
  }
}
