import type { BreakdownEntry, OpsMetricUnit } from '@slidecharge/contracts/ops-console';
import { formatMetric, formatRatio } from '../format/units';
import { sortBreakdown, withShares } from '../metrics/breakdowns';

/** A breakdown of one number as a table: key, value, share. */
export function BreakdownTable({ caption, keyLabel, entries, unit, shares = true }: { caption: string; keyLabel: string; entries: BreakdownEntry[]; unit: OpsMetricUnit; shares?: boolean }) {
  const rows = withShares(sortBreakdown(entries));
  return (
    <table className="table breakdown">
      <caption>{caption}</caption>
      <thead>
        <tr>
          <th scope="col">{keyLabel}</th>
          <th scope="col" className="num">
            Value
          </th>
          {shares ? (
            <th scope="col" className="num">
              Share
            </th>
          ) : null}
        </tr>
      </thead>
      <tbody>
        {rows.length === 0 ? (
          <tr>
            <td colSpan={shares ? 3 : 2}>None yet.</td>
          </tr>
        ) : (
          rows.map((row) => (
            <tr key={row.key}>
              <th scope="row">{row.key}</th>
              <td className="num">{formatMetric(row.value, unit)}</td>
              {shares ? <td className="num">{formatRatio(row.share)}</td> : null}
            </tr>
          ))
        )}
      </tbody>
    </table>
  );
}
