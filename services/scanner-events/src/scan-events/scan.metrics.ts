import { metricsRegistry } from '@slidecharge/messaging';
import { Counter } from 'prom-client';

/** scanner-events' business metrics, on its /metrics. scanner is the instrument id (never a slide, case or patient). */
export const scanMetrics = {
  scans: new Counter({
    name: 'slidecharge_scans_total',
    help: 'Scanner events accepted (duplicates of an event id not counted), by scanner and type (started, completed, failed)',
    labelNames: ['scanner', 'type'],
    registers: [metricsRegistry],
  }),
  rescans: new Counter({
    name: 'slidecharge_rescans_total',
    help: 'Completed scans of a slide that already had a completed scan (another scanId), by the scanner of the new scan',
    labelNames: ['scanner'],
    registers: [metricsRegistry],
  }),
};

/** The type label of a middleware event type: scan.completed -> completed. */
export const scanTypeLabel = (eventType: string) => eventType.replace(/^scan\./, '');
