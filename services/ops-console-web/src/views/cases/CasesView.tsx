import { useState, type FormEvent } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { api } from '../../api/client';
import { Empty, ErrorNote, Loading } from '../../ui/Notice';
import { useLoad } from '../../ui/useLoad';
import { Timeline } from './Timeline';

function CaseSearch({ initial }: { initial: string }) {
  const [text, setText] = useState(initial);
  const [search, setSearch] = useState(initial);
  const navigate = useNavigate();
  const found = useLoad(() => (search ? api.cases(search) : Promise.resolve(undefined)), search);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setSearch(text.trim());
  };
  return (
    <>
      <form className="row filters" role="search" aria-label="Find a case" onSubmit={submit}>
        <label>
          Accession number <input value={text} onChange={(e) => setText(e.target.value)} placeholder="e.g. S26-00042" />
        </label>
        <button type="submit">Find</button>
        {text.trim() ? (
          <button type="button" onClick={() => navigate(`/cases/${encodeURIComponent(text.trim())}`)}>
            Open timeline
          </button>
        ) : null}
      </form>
      <ErrorNote error={found.error} what="The cases could not be searched" />
      {search && found.loading ? <Loading what="cases" /> : null}
      {found.data && found.data.items.length === 0 ? <Empty>No case matches “{search}”. Check the accession number, or open its timeline directly.</Empty> : null}
      {found.data && found.data.items.length > 0 ? (
        <ul className="plain results">
          {found.data.items.map((c) => (
            <li key={c.accessionNumber}>
              <Link to={`/cases/${encodeURIComponent(c.accessionNumber)}`}>{c.accessionNumber}</Link> · {c.status} · version {c.version} · {c.specimens.length} specimen
              {c.specimens.length === 1 ? '' : 's'}, {c.slides.length} slide{c.slides.length === 1 ? '' : 's'}
            </li>
          ))}
        </ul>
      ) : null}
    </>
  );
}

/** A case's history across the four services, in one list. */
export function CasesView() {
  const { accessionNumber } = useParams();
  return (
    <>
      <h1>Case timeline{accessionNumber ? `: ${accessionNumber}` : ''}</h1>
      <CaseSearch key={accessionNumber ?? ''} initial={accessionNumber ?? ''} />
      {accessionNumber ? <CaseTimelineOf accessionNumber={accessionNumber} /> : <Empty>Find a case by its accession number to see everything that happened to it.</Empty>}
    </>
  );
}

function CaseTimelineOf({ accessionNumber }: { accessionNumber: string }) {
  const timeline = useLoad(() => api.timeline(accessionNumber), accessionNumber);
  if (timeline.error) return <ErrorNote error={timeline.error} what={`The timeline of ${accessionNumber} could not be read`} />;
  if (!timeline.data) return <Loading what="the timeline" />;
  return <Timeline timeline={timeline.data} />;
}
