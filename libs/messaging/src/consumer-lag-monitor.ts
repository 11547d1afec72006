import { KafkaJSGroupCoordinatorNotFound, KafkaJSProtocolError } from 'kafkajs';
import { GroupLag } from './consumer-lag';
import { Logger } from './logger';
import { messagingMetrics } from './metrics';

/** Reads a group's lag over its topics (KafkaBus.consumerLag for one group): the reading the console uses too. */
export type LagReader = (groupId: string, topics: readonly string[]) => Promise<GroupLag>;

export interface ConsumerLagMonitorOptions {
  read: LagReader;
  logger: Logger;
  /** How often to read every watched group (default 15 s); the first reading comes at once. */
  intervalMs?: number;
}

const AUTHORIZATION_FAILURES = new Set(['GROUP_AUTHORIZATION_FAILED', 'TOPIC_AUTHORIZATION_FAILED', 'CLUSTER_AUTHORIZATION_FAILED']);

/**
 * True when the broker refused the read for want of an ACL (reading again will not help until the ACLs
 * change). Without DESCRIBE on the group the broker refuses FindCoordinator, which kafkajs reports as
 * KafkaJSGroupCoordinatorNotFound after its retries (a coordinator that is really away reads the same).
 */
export function isAuthorizationFailure(e: unknown): boolean {
  if (e instanceof KafkaJSGroupCoordinatorNotFound) return true;
  if (e instanceof KafkaJSProtocolError) return AUTHORIZATION_FAILURES.has(e.type);
  const cause = (e as { cause?: unknown } | undefined)?.cause;
  return cause !== undefined && cause !== e && isAuthorizationFailure(cause);
}

/**
 * Keeps slidecharge_consumer_lag{group,topic} of the service's own consumer groups, read with the
 * Kafka admin client on a timer (one OffsetFetch and one ListOffsets per topic per group). A failing
 * read never stops the service: it is logged once per group (an authorization failure says which
 * ACL is missing) and tried again at the next tick; the gauge keeps its last value.
 */
export class ConsumerLagMonitor {
  private readonly groups = new Map<string, readonly string[]>();
  private readonly failing = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private reading: Promise<void> | undefined;
  private readonly log: Logger;

  constructor(private readonly options: ConsumerLagMonitorOptions) {
    this.log = options.logger.child({ component: 'consumer-lag' });
  }

  /** Adds a consumer group (its topics) to what is read; starts the timer with the first group. */
  watch(groupId: string, topics: readonly string[]): void {
    this.stopped = false;
    this.groups.set(groupId, [...new Set([...(this.groups.get(groupId) ?? []), ...topics])]);
    if (!this.timer) {
      this.timer = setInterval(() => void this.readAll(), this.options.intervalMs ?? 15_000);
      this.timer.unref();
    }
    void this.readAll();
  }

  /**
   * Stops the timer, waits for a reading in flight at most `graceMs` (with the broker away it could
   * outlast the shutdown deadline; what it brings back later is dropped), and removes the series.
   */
  async stop(graceMs = 2_000): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.timer = undefined;
    if (this.reading) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.reading, new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)))]);
      clearTimeout(timer);
    }
    for (const [group, topics] of this.groups) for (const topic of topics) messagingMetrics.consumerLag.remove({ group, topic });
    this.groups.clear();
  }

  /** Reads every watched group once (one reading at a time; a tick during a reading is skipped). */
  readAll(): Promise<void> {
    this.reading ??= (async () => {
      for (const [group, topics] of this.groups) if (!this.stopped) await this.readGroup(group, topics);
    })().finally(() => {
      this.reading = undefined;
    });
    return this.reading;
  }

  private async readGroup(group: string, topics: readonly string[]): Promise<void> {
    try {
      const reading = await this.options.read(group, topics);
      if (this.stopped) return;
      for (const [topic, lag] of Object.entries(reading.byTopic)) messagingMetrics.consumerLag.set({ group, topic }, lag);
      if (this.failing.delete(group)) this.log.info({ groupId: group }, 'consumer lag readable again');
    } catch (err) {
      if (this.stopped || this.failing.has(group)) return;
      this.failing.add(group);
      if (isAuthorizationFailure(err)) {
        this.log.warn(
          { groupId: group, topics, err },
          'consumer lag not readable: the Kafka principal lacks DESCRIBE on its consumer group or topics (or the group coordinator is away); slidecharge_consumer_lag stays absent until the ACLs allow it (docs/operations.md, "Kafka security"); tried again every interval',
        );
      } else {
        this.log.warn({ groupId: group, err }, 'consumer lag not readable now; tried again every interval');
      }
    }
  }
}
