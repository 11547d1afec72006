import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** One registry per process, exposed by service-kit at GET /metrics. */
export const metricsRegistry = new Registry();
collectDefaultMetrics({ register: metricsRegistry });

/** Where slidecharge_outbox_backlog reads from, by schema: the running outbox relays. */
const backlogSources = new Map<string, () => Promise<number>>();

/** Adds the outbox backlog count of a schema to the gauge; returns the function that removes it again. */
export function setOutboxBacklogSource(schema: string, count: () => Promise<number>): () => void {
  backlogSources.set(schema, count);
  return () => {
    if (backlogSources.get(schema) === count) backlogSources.delete(schema);
  };
}

export const messagingMetrics = {
  published: new Counter({ name: 'slidecharge_messages_published_total', help: 'Messages published to Kafka', labelNames: ['topic'], registers: [metricsRegistry] }),
  consumed: new Counter({ name: 'slidecharge_messages_consumed_total', help: 'Messages handled successfully', labelNames: ['topic', 'group'], registers: [metricsRegistry] }),
  deadLettered: new Counter({ name: 'slidecharge_messages_dead_lettered_total', help: 'Messages sent to the dead-letter topic', labelNames: ['topic', 'reason'], registers: [metricsRegistry] }),
  deadLetterWriteFailures: new Counter({
    name: 'slidecharge_dead_letter_write_failures_total',
    help: 'Failed attempts to store a dead letter in Postgres (step=store) or send it to Kafka (step=send); each is retried',
    labelNames: ['step'],
    registers: [metricsRegistry],
  }),
  deadLettersPurged: new Counter({ name: 'slidecharge_dead_letters_purged_total', help: 'Rows deleted from dead_letter by the retention purge', labelNames: ['schema'], registers: [metricsRegistry] }),
  outboxPurged: new Counter({ name: 'slidecharge_outbox_purged_total', help: 'Published outbox records deleted by the retention purge', labelNames: ['schema'], registers: [metricsRegistry] }),
  consumerRestarts: new Counter({
    name: 'slidecharge_consumer_restarts_total',
    help: 'Consumer restarts after a crash (by=kafkajs: retriable crash; by=bus: kafkajs had left it stopped)',
    labelNames: ['group', 'by'],
    registers: [metricsRegistry],
  }),
  groupCommitBatches: new Histogram({
    name: 'slidecharge_group_commit_batches',
    help: 'Partition batches applied together in one group-commit transaction',
    labelNames: ['consumer'],
    buckets: [1, 2, 3, 4, 6, 8, 12, 16, 24, 32],
    registers: [metricsRegistry],
  }),
  groupCommitFailures: new Counter({
    name: 'slidecharge_group_commit_failures_total',
    help: 'Group-commit transactions of several batches that failed and were applied again batch by batch',
    labelNames: ['consumer'],
    registers: [metricsRegistry],
  }),
  handleSeconds: new Histogram({ name: 'slidecharge_message_handle_seconds', help: 'Time to handle one message', labelNames: ['topic'], buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5], registers: [metricsRegistry] }),
  outboxPending: new Counter({ name: 'slidecharge_outbox_relayed_total', help: 'Outbox records relayed to Kafka', labelNames: ['schema'], registers: [metricsRegistry] }),
  outboxParkedTotal: new Counter({
    name: 'slidecharge_outbox_parked_total',
    help: 'Outbox records parked because the broker refused them for good (too large, invalid)',
    labelNames: ['schema', 'topic'],
    registers: [metricsRegistry],
  }),
  deadLetterReplays: new Counter({
    name: 'slidecharge_dead_letter_replays_total',
    help: 'Replays of dead letters by people (POST /dead-letters/:id/replay), by outcome (consumed, failed-again)',
    labelNames: ['topic', 'outcome'],
    registers: [metricsRegistry],
  }),
  outboxParked: new Gauge({ name: 'slidecharge_outbox_parked', help: 'Outbox records parked now, waiting for an operator', labelNames: ['schema'], registers: [metricsRegistry] }),
  outboxBacklog: new Gauge({
    name: 'slidecharge_outbox_backlog',
    help: 'Outbox records written and not yet published to Kafka (parked records not counted: slidecharge_outbox_parked), read at each scrape',
    labelNames: ['schema'],
    registers: [metricsRegistry],
    async collect() {
      for (const [schema, count] of backlogSources) {
        try {
          this.set({ schema }, await count());
        } catch {
          // The database is away (shutting down, or down: readiness says so); keep the last value.
        }
      }
    },
  }),
  consumerLag: new Gauge({
    name: 'slidecharge_consumer_lag',
    help: "Messages of a topic not yet consumed by this service's consumer group: log end offset minus committed offset, summed over partitions (read every 15 s)",
    labelNames: ['group', 'topic'],
    registers: [metricsRegistry],
  }),
};

/** Where the open-dead-letter gauge reads its numbers at scrape time: each consuming service's archive. */
export type OpenDeadLetterSource = () => Promise<readonly { topic: string; reason: string; count: number }[]>;
const openDeadLetterSources = new Set<OpenDeadLetterSource>();

/** Counts `source` in slidecharge_dead_letters_open until the returned function is called. */
export function trackOpenDeadLetters(source: OpenDeadLetterSource): () => void {
  openDeadLetterSources.add(source);
  return () => openDeadLetterSources.delete(source);
}

/** Computed when Prometheus scrapes: a source that cannot be read (database down) is left out, not fatal. */
export const deadLettersOpen = new Gauge({
  name: 'slidecharge_dead_letters_open',
  help: 'Dead letters not yet consumed (never replayed, or whose replay failed), by topic and reason',
  labelNames: ['topic', 'reason'],
  registers: [metricsRegistry],
  async collect() {
    const totals = new Map<string, { topic: string; reason: string; count: number }>();
    for (const source of openDeadLetterSources) {
      const counts = await source().catch(() => []);
      for (const c of counts) {
        const key = `${c.topic}\u0000${c.reason}`;
        const seen = totals.get(key);
        totals.set(key, { ...c, count: (seen?.count ?? 0) + c.count });
      }
    }
    this.reset();
    for (const t of totals.values()) this.set({ topic: t.topic, reason: t.reason }, t.count);
  },
});
