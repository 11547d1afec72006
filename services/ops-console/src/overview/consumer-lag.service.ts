import { Inject, Injectable } from '@nestjs/common';
import { observedGroupsOf } from '@slidecharge/contracts';
import { GroupLag } from '@slidecharge/messaging';
import { ServiceRuntime } from '@slidecharge/service-kit';
import { OPS_CONSOLE_CONFIG, OpsConsoleConfig } from '../config';
import { PROJECTED_TOPICS } from '../projection/facts';
import type { Fetched } from './service-readings';

/**
 * Consumer lag of the services' consumer groups and of the console's own, through the Kafka admin API
 * (KafkaBus.consumerLag). The groups are those the topic table gives the observer principal ops-console.
 */
@Injectable()
export class ConsumerLagService {
  constructor(
    @Inject(OPS_CONSOLE_CONFIG) private readonly config: OpsConsoleConfig,
    private readonly runtime: ServiceRuntime,
  ) {}

  async lags(): Promise<Fetched<GroupLag[]>> {
    const groups = [...observedGroupsOf('ops-console'), { group: this.config.OPS_CONSOLE_CONSUMER_GROUP, topics: [...PROJECTED_TOPICS] }];
    try {
      return { ok: true, value: await this.runtime.bus.consumerLag(groups) };
    } catch (e) {
      return { ok: false, problem: `Kafka did not give the consumer offsets (${(e as Error).message}): check the broker and the ops-console principal's ACLs (scripts/kafka.sh start applies them)` };
    }
  }
}
