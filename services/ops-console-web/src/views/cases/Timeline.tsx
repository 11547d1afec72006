import type { CaseTimeline, TimelineEntry, TimelineKind } from '@slidecharge/contracts/ops-console';
import { LabTime } from '../../ui/LabTime';
import { Empty, Warning } from '../../ui/Notice';

// Symbols every system font has (DejaVu, Segoe UI, Helvetica): no emoji font needed; the word is always beside them.
const KIND: Record<TimelineKind, { icon: string; text: string }> = {
  'case-version': { icon: '▤', text: 'Case' },
  'slide-move': { icon: '⇄', text: 'Slide moved' },
  scan: { icon: '◉', text: 'Scan' },
  'qc-verdict': { icon: '✓', text: 'QC' },
  decision: { icon: '◆', text: 'Decision' },
  charge: { icon: '+', text: 'Charge' },
  credit: { icon: '−', text: 'Credit' },
  delivery: { icon: '✉', text: 'Delivery' },
  audit: { icon: '☺', text: 'Action' },
  'dead-letter': { icon: '⚠', text: 'Dead letter' },
};

function Entry({ entry }: { entry: TimelineEntry }) {
  const kind = KIND[entry.kind];
  const facts = Object.entries(entry.facts);
  return (
    <li className={`timeline-entry kind-${entry.kind}`}>
      <div className="timeline-head">
        <span className="kind">
          <span aria-hidden="true">{kind.icon}</span> {kind.text}
        </span>
        <LabTime at={entry.at} />
        <span className="muted">{entry.service}</span>
      </div>
      <p className="timeline-title">{entry.title}</p>
      {facts.length > 0 ? (
        <dl className="facts">
          {facts.map(([k, v]) => (
            <div key={k}>
              <dt>{k}</dt>
              <dd>{v === null ? '—' : String(v)}</dd>
            </div>
          ))}
        </dl>
      ) : null}
      {entry.actor ? <p>By {entry.actor}</p> : null}
      {entry.traceId ? (
        <p className="muted">
          Trace id <code>{entry.traceId}</code>
        </p>
      ) : null}
      {entry.trace?.length ? (
        <details>
          <summary>Rule trace ({entry.trace.length} steps)</summary>
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Rule</th>
                <th scope="col">Outcome</th>
                <th scope="col">Detail</th>
              </tr>
            </thead>
            <tbody>
              {entry.trace.map((t, i) => (
                <tr key={`${t.rule}-${i}`}>
                  <th scope="row">{t.rule}</th>
                  <td>{t.outcome}</td>
                  <td>{t.detail}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </details>
      ) : null}
    </li>
  );
}

export function Timeline({ timeline }: { timeline: CaseTimeline }) {
  return (
    <section aria-labelledby="timeline-title">
      <h2 id="timeline-title">What happened to {timeline.accessionNumber}</h2>
      {timeline.missing.map((m) => (
        <Warning key={m.service}>
          The timeline is partial: {m.service} could not be read ({m.reason}). Check the Health view, then reload.
        </Warning>
      ))}
      {timeline.entries.length === 0 ? (
        <Empty>Nothing is known about this case yet. If the LIS sent it, check accession on the Health view.</Empty>
      ) : (
        <ol className="timeline" data-testid="timeline">
          {timeline.entries.map((e, i) => (
            <Entry key={`${e.at}-${e.kind}-${i}`} entry={e} />
          ))}
        </ol>
      )}
    </section>
  );
}
