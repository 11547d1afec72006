import { OPS_METRICS, type MetricReading, type OpsMetricId } from '@slidecharge/contracts/ops-console';
import { useState } from 'react';
import { formatMetric } from '../format/units';
import { Dialog } from './Dialog';

/** One number of OPS_METRICS: label, value by its unit, and a "?" with its definition and source. */
export function MetricCard({ id, reading, big = false }: { id: OpsMetricId; reading: MetricReading | undefined; big?: boolean }) {
  const metric = OPS_METRICS[id];
  const [open, setOpen] = useState(false);
  const value = formatMetric(reading?.value ?? null, metric.unit);
  return (
    <section className={big ? 'card card-big' : 'card'} aria-label={metric.label} data-metric={id}>
      <div className="card-head">
        <h3 className="card-label">{metric.label}</h3>
        {big ? null : (
          <button type="button" className="help" aria-label={`What is "${metric.label}"?`} aria-haspopup="dialog" onClick={() => setOpen(true)}>
            ?
          </button>
        )}
      </div>
      <p className="card-value" data-testid={`metric-${id}`}>
        {value}
      </p>
      {reading?.unavailable ? (
        <p className="card-unavailable">
          <span aria-hidden="true">⚠ </span>
          {reading.unavailable}
        </p>
      ) : null}
      {big ? null : (
        <Dialog title={metric.label} open={open} onClose={() => setOpen(false)}>
          <dl className="definition">
            <dt>What it counts</dt>
            <dd>{metric.definition}</dd>
            <dt>Source</dt>
            <dd>
              <code>{metric.source}</code>
            </dd>
            <dt>Shown as</dt>
            <dd>{metric.unit}</dd>
          </dl>
        </Dialog>
      )}
    </section>
  );
}
