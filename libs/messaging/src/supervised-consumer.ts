import { Consumer, EachBatchPayload, Kafka, KafkaJSError } from 'kafkajs';
import { Logger } from './logger';
import { messagingMetrics } from './metrics';

/** Where a consumer group stands, for readiness and logs. */
export interface ConsumerStatus {
  running: boolean;
  /** Why it is not running (the crash, or "starting" / "stopped"). */
  reason?: string;
  /** Restarts since the process started (by kafkajs itself or by the bus). */
  restarts: number;
}

export interface ConsumerHandle {
  readonly groupId: string;
  isRunning(): boolean;
  status(): ConsumerStatus;
  /** Stops fetching, waits for the chunk in flight, commits its offsets, leaves the group. */
  stop(): Promise<void>;
}

/**
 * Thrown out of a message's handling when its consumer is stopping: its offset is not committed, it is
 * read again. A KafkaJSError, so that kafkajs does not log a clean shutdown as an error.
 */
export class ConsumerStoppingError extends KafkaJSError {
  constructor(groupId: string) {
    super(`consumer group ${groupId} is stopping; the message will be read again`, { retriable: true });
  }
}

export interface SupervisedConsumerOptions {
  kafka: Kafka;
  groupId: string;
  topics: readonly string[];
  fromBeginning: boolean;
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  /**
   * How a batch of a partition is handled: it resolves the offsets of what it has done, and kafkajs
   * commits them. `isStopping` says when to give up waiting (throw ConsumerStoppingError).
   */
  eachBatch: (payload: EachBatchPayload, isStopping: () => boolean) => Promise<void>;
  /** Partitions handled at the same time. */
  partitionsConsumedConcurrently: number;
  logger: Logger;
  /** First delay before the bus restarts a consumer that kafkajs left stopped; doubled up to maxRestartDelayMs. */
  restartDelayMs?: number;
  maxRestartDelayMs?: number;
}

/** A consumer that stayed up this long is healthy again: its next crash restarts after the first delay. */
const STABLE_AFTER_MS = 60_000;

/**
 * One consumer group member that never stays stopped. kafkajs restarts a consumer after a retriable
 * crash, but leaves it stopped after a non-retriable one (`restart: false`), for instance a protocol
 * error or an error thrown out of a message's handling: this class then starts a fresh consumer after
 * a backoff (1 s doubling to 60 s by default) and counts it in slidecharge_consumer_restarts_total.
 * While it is down, status() says so with the reason, and readiness reports it.
 */
export class SupervisedConsumer implements ConsumerHandle {
  readonly groupId: string;
  private consumer: Consumer | undefined;
  private state: { running: boolean; reason?: string } = { running: false, reason: 'starting' };
  private restarts = 0;
  private stopping = false;
  private stopped: Promise<void> | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  private restartDelayMs: number;
  private runningSince = 0;
  private readonly log: Logger;

  constructor(private readonly options: SupervisedConsumerOptions) {
    this.groupId = options.groupId;
    this.restartDelayMs = options.restartDelayMs ?? 1000;
    this.log = options.logger.child({ component: 'consumer', groupId: options.groupId });
  }

  /** Connects, joins the group and starts consuming. A failure to connect at first start is thrown. */
  async start(): Promise<void> {
    await this.launch();
  }

  isRunning(): boolean {
    return this.state.running;
  }

  status(): ConsumerStatus {
    return { ...this.state, restarts: this.restarts };
  }

  stop(): Promise<void> {
    this.stopped ??= (async () => {
      this.stopping = true;
      clearTimeout(this.restartTimer);
      await this.consumer?.disconnect();
      this.state = { running: false, reason: 'stopped' };
    })();
    return this.stopped;
  }

  private async launch(): Promise<void> {
    const { kafka, groupId, topics } = this.options;
    const consumer = kafka.consumer({
      groupId,
      allowAutoTopicCreation: false,
      sessionTimeout: this.options.sessionTimeoutMs,
      heartbeatInterval: this.options.heartbeatIntervalMs,
      retry: { initialRetryTime: 300, retries: 10 },
    });
    this.consumer = consumer;
    consumer.on(consumer.events.CRASH, (e) => this.onCrash(consumer, e.payload.error, e.payload.restart));
    consumer.on(consumer.events.GROUP_JOIN, () => {
      if (consumer !== this.consumer) return;
      this.state = { running: true };
      this.runningSince = Date.now();
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [...topics], fromBeginning: this.options.fromBeginning });
    if (this.stopping) {
      await consumer.disconnect();
      return;
    }
    // Resolves once the group is joined, or after a crash at the first join (onCrash has run then).
    const { eachBatch, partitionsConsumedConcurrently } = this.options;
    const isStopping = () => this.stopping;
    await consumer.run({
      autoCommit: true,
      autoCommitInterval: 1000,
      partitionsConsumedConcurrently,
      eachBatchAutoResolve: false,
      eachBatch: (payload: EachBatchPayload) => eachBatch(payload, isStopping),
    });
  }

  private onCrash(consumer: Consumer, error: Error, restartedByKafkajs: boolean): void {
    if (consumer !== this.consumer || this.stopping) return;
    const type = (error as { type?: unknown }).type;
    this.state = { running: false, reason: `crashed: ${error.name}${typeof type === 'string' ? ` ${type}` : ''}: ${error.message}` };
    if (Date.now() - this.runningSince > STABLE_AFTER_MS) this.restartDelayMs = this.options.restartDelayMs ?? 1000;
    if (restartedByKafkajs) {
      this.restarts++;
      messagingMetrics.consumerRestarts.inc({ group: this.groupId, by: 'kafkajs' });
      this.log.error({ err: error }, 'consumer crashed; kafkajs restarts it');
      return;
    }
    this.scheduleRestart(error);
  }

  private scheduleRestart(error: unknown): void {
    const delay = this.restartDelayMs;
    this.restartDelayMs = Math.min(delay * 2, this.options.maxRestartDelayMs ?? 60_000);
    this.log.error({ err: error, restartInMs: delay }, `consumer stopped by a non-retriable error; restarting it in ${delay} ms`);
    this.restartTimer = setTimeout(() => void this.restart(), delay);
  }

  private async restart(): Promise<void> {
    if (this.stopping) return;
    this.restarts++;
    messagingMetrics.consumerRestarts.inc({ group: this.groupId, by: 'bus' });
    await this.consumer?.disconnect().catch((err: unknown) => this.log.warn({ err }, 'crashed consumer did not disconnect cleanly'));
    try {
      await this.launch();
      if (this.state.running) this.log.info({ restarts: this.restarts }, 'consumer restarted');
    } catch (err) {
      if (this.stopping) return;
      this.state = { running: false, reason: `restart failed: ${(err as Error).message}` };
      this.scheduleRestart(err);
    }
  }
}
