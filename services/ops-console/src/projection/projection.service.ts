import { Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { handleEach, HandledBatch, IncomingMessage, SqlExecutor } from '@slidecharge/messaging';
import { ServiceRuntime } from '@slidecharge/service-kit';
import { OPS_CONSOLE_CONFIG, OpsConsoleConfig } from '../config';
import { PrismaService } from '../prisma.service';
import { activityOf, factOf, PROJECTED_TOPICS, ProjectedTopic } from './facts';
import { ProjectionChanges } from './projection-changes.service';
import { ProjectionRepository } from './projection.repository';

/**
 * The read model: consumer group OPS_CONSOLE_CONSUMER_GROUP (default ops-console) of the four topics.
 * Events are consumed exactly once by batch (libs/messaging KafkaBus.consume): each batch's facts are
 * written in one transaction with their event ids, so a redelivered event changes nothing; offsets are
 * committed after the transaction. Batches are applied one at a time (see partitionsConsumedConcurrently).
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
    const group = this.config.OPS_CONSOLE_CONSUMER_GROUP;
    await this.runtime.consume({
      groupId: group,
      topics: PROJECTED_TOPICS,
      inbox: this.runtime.inbox<SqlExecutor>(group, (fn) => this.prisma.$transaction(fn)),
      // One batch at a time: a fact's lags are filled by whichever of its two sides (charge, scan or case)
      // is written second, which must see the first committed. Two partitions' transactions side by side
      // would each miss the other and leave the lag empty.
      partitionsConsumedConcurrently: 1,
      handler: (tx, messages) => handleEach(messages, (message) => this.project(tx, message)),
    });
  }

  /** Writes one new event's fact, in the batch's transaction; after the commit, tells the live feed. */
  async project(tx: SqlExecutor, message: IncomingMessage<ProjectedTopic>): Promise<HandledBatch> {
    const fact = factOf(message.topic, message.value, message.headers);
    await this.repository.write(tx, fact);
    const lags = fact.kind === 'charge' ? await this.repository.lagsOf(tx, fact.chargeId) : undefined;
    return {
      outgoing: [],
      afterCommit: () => {
        this.runtime.logger.debug({ topic: message.topic, eventId: message.value.eventId, type: message.value.type }, `projection: ${message.value.type} projected`);
        const activity = fact.kind === 'charge' || fact.kind === 'credit' ? activityOf(fact, lags) : undefined;
        this.changes.emit({ topic: message.topic, ...(activity ? { activity } : {}) });
      },
    };
  }
}
