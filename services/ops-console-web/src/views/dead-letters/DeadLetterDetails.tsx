import { api } from '../../api/client';
import type { DeadLetterDetail, ListedDeadLetter } from '../../api/types';
import { Dialog } from '../../ui/Dialog';
import { LabTime } from '../../ui/LabTime';
import { ErrorNote, Loading } from '../../ui/Notice';
import { useLoad } from '../../ui/useLoad';

function valueOf(detail: DeadLetterDetail): { text: string; encoding: string } | undefined {
  const { value, valueEncoding } = detail.original;
  if (value === null) return undefined;
  return { text: value, encoding: valueEncoding === 'base64' ? 'base64: the bytes are not UTF-8 text' : 'UTF-8 text' };
}

/** One dead letter as kept: headers, the value (text, or base64 when it is not text), replays. */
export function DeadLetterDetails({ listed, onClose }: { listed: ListedDeadLetter; onClose(): void }) {
  const detail = useLoad(() => api.deadLetter(listed.service, listed.id), `${listed.service}/${listed.id}`);
  const d = detail.data;
  const value = d ? valueOf(d) : undefined;
  return (
    <Dialog title={`Dead letter ${listed.id} (${listed.service})`} open onClose={onClose}>
      <ErrorNote error={detail.error} />
      {!d && !detail.error ? <Loading what="the dead letter" /> : null}
      {d ? (
        <div className="stack">
          <dl className="definition">
            <dt>Topic</dt>
            <dd>
              {d.topic}, partition {d.partition}, offset {d.offset}
            </dd>
            <dt>Consumer group</dt>
            <dd>{d.consumerGroup}</dd>
            <dt>Failed at</dt>
            <dd>
              <LabTime at={d.failedAt} />
            </dd>
            <dt>Reason</dt>
            <dd>
              {d.reason}: {d.message}
            </dd>
            <dt>Size</dt>
            <dd>{d.original.sizeBytes} bytes</dd>
            <dt>Key</dt>
            <dd>{d.original.key ?? '(none)'}</dd>
            <dt>SHA-256</dt>
            <dd>
              <code>{d.original.sha256}</code>
            </dd>
          </dl>
          <h3>Headers</h3>
          {Object.keys(d.original.headers).length ? (
            <table className="table">
              <tbody>
                {Object.entries(d.original.headers).map(([k, v]) => (
                  <tr key={k}>
                    <th scope="row">{k}</th>
                    <td>
                      <code>{v}</code>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : (
            <p>None.</p>
          )}
          <h3>Value {value ? `(${value.encoding})` : ''}</h3>
          {value ? <pre className="value">{value.text}</pre> : <p>The message had no value (a tombstone).</p>}
          <h3>Replays</h3>
          {d.replays.length ? (
            <ul className="plain">
              {d.replays.map((r) => (
                <li key={r.at}>
                  <LabTime at={r.at} /> by {r.by}: {r.outcome}
                  {r.error ? ` (${r.error})` : ''}. “{r.justification}”
                </li>
              ))}
            </ul>
          ) : (
            <p>Never replayed.</p>
          )}
        </div>
      ) : null}
    </Dialog>
  );
}
