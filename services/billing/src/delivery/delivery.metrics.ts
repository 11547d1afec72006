import { metricsRegistry } from '@slidecharge/messaging';
import { Counter, Gauge, Histogram } from 'prom-client';
import type { DeliveryState } from './delivery-policy';

type QueueSource = () => Promise<Partial<Record<DeliveryState, number>>>;

/** Where the queue gauge reads from: the running senders (any one will do: they share the queue); none when delivery is off. */
const queueSources = new Set<QueueSource>();

/** Adds a source for the queue gauge; returns the function that removes it again. */
export function setDeliveryQueueSource(source: QueueSource): () => void {
  queueSources.add(source);
  return () => {
    queueSources.delete(source);
  };
}

/** DFT^P03 delivery metrics, on the service's /metrics. */
export const deliveryMetrics = {
  attempts: new Counter({
    name: 'slidecharge_billing_dft_attempts_total',
    help: 'DFT^P03 send attempts to the billing system, by kind (charge, credit) and outcome (AA, AE, AR, timeout, connection-error, ...)',
    labelNames: ['kind', 'outcome'],
    registers: [metricsRegistry],
  }),
  failed: new Counter({
    name: 'slidecharge_billing_dft_failed_total',
    help: 'DFT^P03 deliveries given up after the maximum attempts (they wait for POST /deliveries/{id}/retry)',
    labelNames: ['kind'],
    registers: [metricsRegistry],
  }),
  ackSeconds: new Histogram({
    name: 'slidecharge_billing_dft_ack_seconds',
    help: 'Time from sending a DFT^P03 to its ACK',
    labelNames: ['outcome'],
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [metricsRegistry],
  }),
  queue: new Gauge({
    name: 'slidecharge_billing_dft_queue',
    help: 'DFT^P03 deliveries still open, by state (pending, in-flight, failed)',
    labelNames: ['state'],
    registers: [metricsRegistry],
    async collect() {
      const [source] = queueSources;
      if (!source) return;
      try {
        const counts = await source();
        for (const [state, n] of Object.entries(counts)) this.set({ state }, n);
      } catch {
        // The database is away (shutting down, or down: readiness says so); keep the last values.
      }
    },
  }),
};
