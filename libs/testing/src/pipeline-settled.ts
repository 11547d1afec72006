import { waitForGroupCaughtUp } from './consumer-groups';
import { eventually } from './topic-reader';

/** One stage of the pipeline: a service's readiness URL and the consumer group it reads its inputs with. */
export interface PipelineStage {
  /** The service's base URL (its GET /health/ready reports the outbox backlog). */
  url: string;
  /** Its consumer group and input topics; none for a stage fed over HTTP or MLLP only. */
  consumes?: { group: string; topics: readonly string[] };
}

/** Waits until a service's outbox has nothing left to publish (the backlog its readiness probe reports). */
export async function outboxDrained(url: string, timeoutMs = 60_000): Promise<void> {
  await eventually(
    async () => {
      const res = await fetch(`${url}/health/ready`);
      const body = (await res.json()) as { checks?: Array<{ backlog?: number }> };
      const backlog = body.checks?.find((c) => typeof c.backlog === 'number')?.backlog;
      return backlog === 0 ? true : undefined;
    },
    timeoutMs,
    `the outbox of ${url} to be empty`,
  );
}

/**
 * A barrier for "nothing more will come": stage after stage, in the order events flow, the stage's
 * group has handled every input published so far (offsets are committed only after the transaction
 * that wrote the outbox) and its outbox is published. When it returns, every event the inputs sent
 * before the call can cause is on the last stage's output topic; a reader caught up on that topic has
 * seen them all. No fixed sleep: each wait ends as soon as its condition holds.
 */
export async function waitForPipelineSettled(brokers: string, stages: readonly PipelineStage[], timeoutMs = 60_000): Promise<void> {
  for (const stage of stages) {
    if (stage.consumes) await waitForGroupCaughtUp(brokers, stage.consumes.group, stage.consumes.topics, timeoutMs);
    await outboxDrained(stage.url, timeoutMs);
  }
}
