import { formatLabDateTime } from '../format/time';
import { useSession } from '../auth/session';

/** An instant in the lab's time zone, with the zone, as a <time> element. */
export function LabTime({ at }: { at: string | null | undefined }) {
  const { config } = useSession();
  if (!at) return <span>—</span>;
  return <time dateTime={at}>{formatLabDateTime(at, config.labTimeZone)}</time>;
}
