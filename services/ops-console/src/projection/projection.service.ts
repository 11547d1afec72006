import { Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { HandledBatch, IncomingMessage, inMessageContext, SqlExecutor } from '@slidecharge/messaging';
import { PgTransactions, ServiceRuntime } from '@slidecharge/service-kit';
import { OPS_CONSOLE_CONFIG, OpsConsoleConfig } from '../config';
import { batchOf, changeOf, countsByTopicAndType, Fact, factOf, PROJECTED_TOPICS, ProjectedTopic } from './facts';
import { ProjectionChanges } from './projection-changes.service';
import { ProjectionRepository } from './projection.repository';

/**
 * The first statement of every projection transaction: a transaction-scoped advisory lock that all
 * instances take, so that their batches are applied one at a time, each seeing the facts the previous
 * one committed (READ COMMITTED: the statements after the lock see every commit before it). Without
 * it two instances of the group would project a case and its charge (same key, two topics, owned by
 * different instances) side by side and leave the charge's lags empty (test/scale-out.int-spec.ts).
 */
async function takeProjectionLock(tx: SqlExecutor): Promise<void> {
  await tx.$executeRawUnsafe(`SELECT pg_advisory_xact_lock(hashtext('ops-console:projection'))`);
}

/**
 * The read model: consumer group OPS_CONSOLE_CONSUMER_GROUP (default ops-console) of the four topics.
 * Events are consumed exactly once by batch (libs/messaging KafkaBus.consume): each batch's facts are
 * written in one transaction with their event ids, each table once (a fixed number of statements
 * whatever the batch's size), so a redelivered event changes nothing; offsets are committed after the
 * transaction. Batches are applied one at a time (see partitionsConsumedConcurrently).
 */
@Injectable()
export class ProjectionService implements OnApplicationBootstrap {
  /** The projection's transactions: raw SQL on a pg connection of its own (one batch at a time), without Prisma's per-query cost. */
  private readonly transactions: PgTransactions;

  constructor(
    @Inject(OPS_CONSOLE_CONFIG) private readonly config: OpsConsoleConfig,
    private readonly repository: ProjectionRepository,
    private readonly runtime: ServiceRuntime,
    private readonly changes: ProjectionChanges,
  ) {
    this.transactions = runtime.rawSql('ops-console-projection', 1);
  }

  async onApplicationBootstrap(): Promise<void> {
    const group = this.config.OPS_CONSOLE_CONSUMER_GROUP;
    await this.runtime.consume({
      groupId: group,
      topics: PROJECTED_TOPICS,
      inbox: this.runtime.inbox(group, (fn) =>
        this.transactions.transaction(async (tx) => {
          await takeProjectionLock(tx);
          return fn(tx);
        }),
      ),
      // One batch at a time: a fact's lags are filled by whichever of its two sides (charge, scan or case)
      // is written second, which must see the first committed. Two partitions' transactions side by side
      // would each miss the other and leave the lag empty. Within an instance this setting keeps them
      // apart; across instances of the group (scale-out), the projection lock does.
      partitionsConsumedConcurrently: 1,
      handler: (tx, messages) => this.project(tx, messages),
    });
  }

  /**
   * Writes a batch of new events' facts in the batch's transaction (grouped by table: batchOf, then
   * the repository's writeBatch); after the commit, tells the live feed of each event, in order, and
   * logs one line for the batch.
   */
  async project(tx: SqlExecutor, messages: readonly IncomingMessage<ProjectedTopic>[]): Promise<HandledBatch> {
    const started = process.hrtime.bigint();
    const facts = messages.map((m): Fact => factOf(m.topic, m.value, m.headers));
    const lags = await this.repository.writeBatch(tx, batchOf(facts));
    return {
      outgoing: [],
      afterCommit: () => {
        const logger = this.runtime.logger;
        const debug = logger.isLevelEnabled('debug');
        for (const [i, message] of messages.entries()) {
          const { eventId, type } = message.value;
          if (debug) inMessageContext(message, () => logger.debug({ topic: message.topic, eventId, type }, `projection: ${type} projected`));
          this.changes.emit(changeOf(message.topic, facts[i] as Fact, lags));
        }
        const counts = countsByTopicAndType(messages.map((m) => ({ topic: m.topic, type: m.value.type })));
        logger.info({ events: messages.length, counts, ms: Math.round(Number(process.hrtime.bigint() - started) / 1e6) }, 'projection: batch projected');
      },
    };
  }
}
