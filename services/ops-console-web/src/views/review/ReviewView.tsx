import { useState, type FormEvent } from 'react';
import { api } from '../../api/client';
import type { ChargeSummary, ChargeView } from '../../api/types';
import { may } from '../../auth/roles';
import { useSession } from '../../auth/session';
import { JustificationDialog, type JustifiedAction } from '../../ui/JustificationDialog';
import { LabTime } from '../../ui/LabTime';
import { Empty, ErrorNote, Loading, Success } from '../../ui/Notice';
import { useLoad } from '../../ui/useLoad';

function actionFor(kind: 'release' | 'void', charge: ChargeSummary, done: (c: ChargeView) => void): JustifiedAction {
  const what = `${charge.code} × ${charge.units} of ${charge.accessionNumber} (specimen ${charge.specimenId})`;
  return kind === 'release'
    ? { title: 'Release the held charge', effect: `${what} goes to billing now.`, confirm: 'Release charge', minLength: 10, run: async (j) => done(await api.release(charge.chargeId, j)) }
    : { title: 'Void the held charge', effect: `${what} will never be sent.`, confirm: 'Void charge', minLength: 5, run: async (j) => done(await api.void(charge.chargeId, j)) };
}

/** Held charges, oldest first: release or void with a justification (billing reviewers). */
export function ReviewView() {
  const { roles } = useSession();
  const [payer, setPayer] = useState('');
  const [filter, setFilter] = useState('');
  const queue = useLoad(() => api.reviewQueue({ payer: filter || undefined, limit: 200 }), filter);
  const [action, setAction] = useState<JustifiedAction>();
  const [result, setResult] = useState<string>();
  const canAct = may(roles, 'release');
  const done = (charge: ChargeView) => {
    setResult(`Charge ${charge.code} of ${charge.accessionNumber} is now ${charge.status}.`);
    queue.reload();
  };
  const apply = (e: FormEvent) => {
    e.preventDefault();
    setFilter(payer.trim());
  };
  const items = queue.data?.items ?? [];
  return (
    <>
      <h1>Review queue</h1>
      <form className="row filters" onSubmit={apply} role="search" aria-label="Filter the review queue">
        <label>
          Payer id <input value={payer} onChange={(e) => setPayer(e.target.value)} />
        </label>
        <button type="submit">Filter</button>
      </form>
      {result ? <Success>{result}</Success> : null}
      <ErrorNote error={queue.error} what="The review queue could not be read" />
      {queue.loading && !queue.data ? <Loading what="the review queue" /> : null}
      {queue.data ? (
        <p>
          {queue.data.total} held charge{queue.data.total === 1 ? '' : 's'}
          {filter ? ` for payer ${filter}` : ''}
          {queue.data.total > items.length ? `, the oldest ${items.length} shown` : ''}.
        </p>
      ) : null}
      {queue.data && items.length === 0 ? <Empty>Nothing waits for review. Held charges appear here when a payer policy or rule holds them.</Empty> : null}
      {items.length > 0 ? (
        <table className="table" data-testid="review-table">
          <caption>Held charges, oldest first</caption>
          <thead>
            <tr>
              <th scope="col">Accession</th>
              <th scope="col">Code</th>
              <th scope="col" className="num">
                Units
              </th>
              <th scope="col">Payer</th>
              <th scope="col">Held since</th>
              <th scope="col">Why held</th>
              {canAct ? <th scope="col">Action</th> : null}
            </tr>
          </thead>
          <tbody>
            {items.map((c) => (
              <tr key={c.chargeId} data-charge-id={c.chargeId}>
                <th scope="row">{c.accessionNumber}</th>
                <td>{c.code}</td>
                <td className="num">{c.units}</td>
                <td>{c.payerId}</td>
                <td>
                  <LabTime at={c.statusChangedAt} />
                </td>
                <td>
                  <ul className="plain">
                    {c.holdReasons.map((r) => (
                      <li key={r.rule}>
                        <strong>{r.rule}</strong>: {r.detail}
                      </li>
                    ))}
                  </ul>
                </td>
                {canAct ? (
                  <td className="actions">
                    <button type="button" onClick={() => setAction(actionFor('release', c, done))}>
                      Release
                    </button>
                    <button type="button" onClick={() => setAction(actionFor('void', c, done))}>
                      Void
                    </button>
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
