import { api } from '../../api/client';
import { LabTime } from '../../ui/LabTime';
import { Empty, ErrorNote, Loading } from '../../ui/Notice';
import { useLoad } from '../../ui/useLoad';

/** Slides whose latest scan failed QC: to be scanned again. */
export function Rescans() {
  const page = useLoad(() => api.rescans(), 'rescans');
  const items = page.data?.items ?? [];
  return (
    <section aria-labelledby="rescans-title">
      <h2 id="rescans-title">Slides awaiting rescan</h2>
      <ErrorNote error={page.error} what="The rescan list could not be read" />
      {page.loading && !page.data ? <Loading what="the rescan list" /> : null}
      {page.data && items.length === 0 ? <Empty>No slide waits for a rescan.</Empty> : null}
      {items.length > 0 ? (
        <table className="table">
          <caption>Latest failure first</caption>
          <thead>
            <tr>
              <th scope="col">Slide</th>
              <th scope="col">Why QC failed</th>
              <th scope="col" className="num">
                Failed attempts
              </th>
              <th scope="col">Waiting since</th>
            </tr>
          </thead>
          <tbody>
            {items.map((r) => (
              <tr key={r.slideBarcode}>
                <th scope="row">{r.slideBarcode}</th>
                <td>{r.reasons.join(', ')}</td>
                <td className="num">{r.failedAttempts}</td>
                <td>
                  <LabTime at={r.firstFailedAt} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}
