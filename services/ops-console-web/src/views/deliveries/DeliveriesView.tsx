import { useState, type FormEvent } from 'react';
import { api } from '../../api/client';
import type { DeliveryState, DeliverySummary } from '../../api/types';
import { may } from '../../auth/roles';
import { useSession } from '../../auth/session';
import { JustificationDialog, type JustifiedAction } from '../../ui/JustificationDialog';
import { LabTime } from '../../ui/LabTime';
import { Empty, ErrorNote, Loading, Success, Warning } from '../../ui/Notice';
import { useLoad } from '../../ui/useLoad';
import { useQueryParam } from '../../ui/useQueryParam';

const STATES: DeliveryState[] = ['failed', 'pending', 'in-flight', 'acked'];

/** HL7 DFT^P03 deliveries to the billing system: failed ones wait for a person (billing admins retry). */
export function DeliveriesView() {
  const { roles } = useSession();
  const [state, setState] = useQueryParam<DeliveryState>('state', 'failed');
  const [filter, setFilter] = useQueryParam<string>('accession', '');
  const [accession, setAccession] = useState<string>(filter);
  const page = useLoad(() => api.deliveries(state, filter || undefined), `${state}|${filter}`);
  const apply = (e: FormEvent) => {
    e.preventDefault();
    setFilter(accession.trim());
  };
  const [action, setAction] = useState<JustifiedAction>();
  const [result, setResult] = useState<string>();
  const canRetry = may(roles, 'retry-delivery');
  const retry = (d: DeliverySummary): JustifiedAction => ({
    title: 'Send the delivery again',
    effect: `The ${d.kind} message ${d.messageControlId} of ${d.accessionNumber} is queued to be sent again now.`,
    confirm: 'Retry delivery',
    minLength: 5,
    run: async (j) => {
      await api.retryDelivery(d.deliveryId, j);
      setResult(`Delivery ${d.messageControlId} is queued again.`);
      page.reload();
    },
  });
  const items = page.data?.items ?? [];
  const counts = page.data?.counts ?? {};
  return (
    <>
      <h1>Deliveries</h1>
      {page.data && !page.data.delivery.enabled ? <Warning>Delivery to the billing system is off{page.data.delivery.note ? `: ${page.data.delivery.note}` : ''}.</Warning> : null}
      <form className="row filters" onSubmit={apply} role="search" aria-label="Filter the deliveries">
        <label>
          State
          <select value={state} onChange={(e) => setState(e.target.value as DeliveryState)}>
            {STATES.map((s) => (
              <option key={s} value={s}>
                {s}
                {counts[s] !== undefined ? ` (${counts[s]})` : ''}
              </option>
            ))}
          </select>
        </label>
        <label>
          Accession <input value={accession} onChange={(e) => setAccession(e.target.value)} />
        </label>
        <button type="submit">Filter</button>
        {page.data?.delivery.target ? <span className="muted">Billing system: {page.data.delivery.target}</span> : null}
      </form>
      {result ? <Success>{result}</Success> : null}
      <ErrorNote error={page.error} what="The deliveries could not be read" />
      {page.loading && !page.data ? <Loading what="deliveries" /> : null}
      {page.data && items.length === 0 ? <Empty>No {state} delivery{filter ? ` of ${filter}` : ''}. {state === 'failed' && !filter ? 'Nothing waits for a retry.' : ''}</Empty> : null}
      {items.length > 0 ? (
        <table className="table" data-testid="delivery-table">
          <caption>{state} deliveries, oldest first</caption>
          <thead>
            <tr>
              <th scope="col">Message</th>
              <th scope="col">Kind</th>
              <th scope="col">Accession</th>
              <th scope="col" className="num">
                Attempts
              </th>
              <th scope="col">Last outcome</th>
              <th scope="col">Updated</th>
              {canRetry ? <th scope="col">Action</th> : null}
            </tr>
          </thead>
          <tbody>
            {items.map((d) => (
              <tr key={d.deliveryId}>
                <th scope="row">{d.messageControlId}</th>
                <td>{d.kind}</td>
                <td>{d.accessionNumber}</td>
                <td className="num">
                  {d.attempts} / {d.maxAttempts}
                </td>
                <td>
                  {d.lastOutcome ?? '—'}
                  {d.lastError ? <span className="muted"> {d.lastError}</span> : null}
                </td>
                <td>
                  <LabTime at={d.updatedAt} />
                </td>
                {canRetry ? (
                  <td className="actions">
                    {d.state === 'failed' ? (
                      <button type="button" onClick={() => setAction(retry(d))}>
                        Retry
                      </button>
                    ) : null}
                  </td>
                ) : null}
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <JustificationDialog action={action} onClose={() => setAction(undefined)} />
    </>
  );
}
