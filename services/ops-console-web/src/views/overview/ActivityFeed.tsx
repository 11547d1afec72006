import type { ChargeActivity } from '@slidecharge/contracts/ops-console';
import { Link } from 'react-router';
import { formatDuration } from '../../format/units';
import { LabTime } from '../../ui/LabTime';
import { Empty } from '../../ui/Notice';

/** A charge's scan -> charge lag and case -> charge time, where the console knows them. */
function Lags({ activity }: { activity: ChargeActivity }) {
  const parts = [
    activity.lagSeconds !== null ? `scan to charge ${formatDuration(activity.lagSeconds)}` : undefined,
    activity.caseToChargeSeconds !== null ? `case to charge ${formatDuration(activity.caseToChargeSeconds)}` : undefined,
  ].filter((p) => p !== undefined);
  return parts.length ? <span className="muted"> ({parts.join(', ')})</span> : null;
}

/** Charges and credits as they are posted (the `activity` events of the live stream). */
export function ActivityFeed({ activity }: { activity: ChargeActivity[] }) {
  return (
    <section aria-labelledby="activity-title">
      <h2 id="activity-title">Live activity</h2>
      {activity.length === 0 ? (
        <Empty>No charge or credit since this page opened. New ones appear here as they are posted.</Empty>
      ) : (
        <ol className="feed" aria-live="polite" data-testid="activity-feed">
          {activity.map((a) => (
            <li key={a.id} className={`feed-${a.kind}`}>
              <span aria-hidden="true">{a.kind === 'charge' ? '+' : '−'}</span> <strong>{a.kind === 'charge' ? 'Charge' : 'Credit'}</strong> {a.code} × {a.units} for{' '}
              <Link to={`/cases/${encodeURIComponent(a.accessionNumber)}`}>{a.accessionNumber}</Link>, payer {a.payerId}, <LabTime at={a.at} />
              <Lags activity={a} />
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
