import type { OpsOverview } from '@slidecharge/contracts/ops-console';
import { useEffect, useState } from 'react';
import { api } from '../../api/client';
import { useSession } from '../../auth/session';
import { useLive } from '../../live/live';
import { BreakdownTable } from '../../ui/BreakdownTable';
import { LabTime } from '../../ui/LabTime';
import { LiveBadge } from '../../ui/LiveBadge';
import { MetricCard } from '../../ui/MetricCard';
import { ErrorNote } from '../../ui/Notice';

/** For on-call: which services are ready, consumer lag by group, outbox backlog by service. */
export function HealthView() {
  const { accessToken } = useSession();
  const [overview, setOverview] = useState<OpsOverview>();
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    api.overview().then(setOverview, setError);
  }, []);
  const live = useLive(accessToken, 'console', { overview: setOverview });
  const services = overview?.metrics['services.up'].breakdowns?.service ?? [];
  return (
    <>
      <div className="view-head">
        <h1>Health</h1>
        <LiveBadge state={live} />
        {overview ? (
          <span className="as-of">
            as of <LabTime at={overview.asOf} />
          </span>
        ) : null}
      </div>
      <ErrorNote error={error} what="Health could not be read" />
      <div className="cards">
        {(['services.up', 'consumer.lag', 'outbox.backlog', 'dead-letters.open'] as const).map((id) => (
          <MetricCard key={id} id={id} reading={overview?.metrics[id]} />
        ))}
      </div>
      <table className="table">
        <caption>Services (readiness: Postgres, Kafka, consumers, outbox relay)</caption>
        <thead>
          <tr>
            <th scope="col">Service</th>
            <th scope="col">Ready</th>
          </tr>
        </thead>
        <tbody>
          {services.length === 0 ? (
            <tr>
              <td colSpan={2}>No readiness reported yet. If this stays empty, the ops console server cannot reach the services: see docs/operations.md.</td>
            </tr>
          ) : (
            services.map((s) => (
              <tr key={s.key}>
                <th scope="row">{s.key}</th>
                <td className={s.value > 0 ? 'state-ok' : 'state-bad'}>
                  <span aria-hidden="true">{s.value > 0 ? '✔' : '✖'}</span> {s.value > 0 ? 'ready' : 'not ready: see its /health/ready and docs/operations.md'}
                </td>
              </tr>
            ))
          )}
        </tbody>
      </table>
      <div className="tables">
        <BreakdownTable caption="Consumer lag by group (messages)" keyLabel="Consumer group" unit="count" entries={overview?.metrics['consumer.lag'].breakdowns?.group ?? []} />
        <BreakdownTable caption="Outbox backlog by service (events)" keyLabel="Service" unit="count" entries={overview?.metrics['outbox.backlog'].breakdowns?.service ?? []} />
      </div>
    </>
  );
}
