import type { OpsOverview } from '@slidecharge/contracts/ops-console';
import { BreakdownTable } from '../../ui/BreakdownTable';

/** The numbers behind the cards: charges by code and payer, scans by scanner, failures by reason, dead letters by topic, lag by group. */
export function Breakdowns({ overview }: { overview: OpsOverview | undefined }) {
  const m = overview?.metrics;
  return (
    <section aria-labelledby="breakdowns-title">
      <h2 id="breakdowns-title">Breakdowns</h2>
      <div className="tables">
        <BreakdownTable caption="Charges today by code" keyLabel="Code" unit="count" entries={m?.['charges.today'].breakdowns?.code ?? []} />
        <BreakdownTable caption="Charges today by payer" keyLabel="Payer" unit="count" entries={m?.['charges.today'].breakdowns?.payer ?? []} />
        <BreakdownTable caption="Estimated value today by code" keyLabel="Code" unit="usd-cents" entries={m?.['charges.amount.today'].breakdowns?.code ?? []} />
        <BreakdownTable caption="Revenue at risk by code" keyLabel="Code" unit="usd-cents" entries={m?.['held.amount'].breakdowns?.code ?? []} />
        <BreakdownTable caption="Scans last hour by scanner" keyLabel="Scanner" unit="count" entries={m?.['scans.last-hour'].breakdowns?.scanner ?? []} />
        <BreakdownTable caption="QC failure rate by scanner" keyLabel="Scanner" unit="ratio" shares={false} entries={m?.['qc.failure-rate.24h'].breakdowns?.scanner ?? []} />
        <BreakdownTable caption="QC failure rate by reason" keyLabel="Reason" unit="ratio" shares={false} entries={m?.['qc.failure-rate.24h'].breakdowns?.reason ?? []} />
        <BreakdownTable caption="Dead letters by topic" keyLabel="Topic" unit="count" entries={m?.['dead-letters.open'].breakdowns?.topic ?? []} />
        <BreakdownTable caption="Consumer lag by group" keyLabel="Consumer group" unit="count" entries={m?.['consumer.lag'].breakdowns?.group ?? []} />
      </div>
    </section>
  );
}
