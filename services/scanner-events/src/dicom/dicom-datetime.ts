/**
 * DICOM date and time values (PS3.5 6.2: DA, TM, DT) to ISO 8601 with an offset, as the scan event's
 * occurredAt needs. Pure; undefined for anything that is not a valid value.
 */

/** "+HHMM" / "-HHMM" to "+HH:MM"; undefined when out of range (PS3.5 allows -1200..+1400). */
export function isoOffset(dicomOffset: string): string | undefined {
  const m = /^([+-])(\d{2})(\d{2})$/.exec(dicomOffset.trim());
  if (!m) return undefined;
  const [, sign, hh, mm] = m as unknown as [string, string, string, string];
  if (Number(hh) > 14 || Number(mm) > 59) return undefined;
  return `${sign}${hh}:${mm}`;
}

interface Parts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** Up to six digits after the point, as written. */
  fraction: string;
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

function validParts(p: Parts): boolean {
  if (p.month < 1 || p.month > 12 || p.day < 1 || p.hour > 23 || p.minute > 59 || p.second > 60) return false;
  const probe = new Date(Date.UTC(p.year, p.month - 1, p.day));
  return probe.getUTCFullYear() === p.year && probe.getUTCMonth() === p.month - 1 && probe.getUTCDate() === p.day;
}

function toIso(p: Parts, offset: string): string | undefined {
  if (!validParts(p)) return undefined;
  // A leap second (60) is kept as 59.999 so that Date and zod accept it.
  const second = Math.min(p.second, 59);
  const millis = p.second === 60 ? '999' : (p.fraction + '000').slice(0, 3);
  return `${pad(p.year, 4)}-${pad(p.month)}-${pad(p.day)}T${pad(p.hour)}:${pad(p.minute)}:${pad(second)}.${millis}${offset}`;
}

/** TM: HH, HHMM, HHMMSS, HHMMSS.FFFFFF (and the retired HH:MM:SS form). */
function timeParts(tm: string): Pick<Parts, 'hour' | 'minute' | 'second' | 'fraction'> | undefined {
  const text = /^\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?$/.test(tm) ? tm.replace(/:/g, '') : tm;
  const m = /^(\d{2})(\d{2})?(\d{2})?(?:\.(\d{1,6}))?$/.exec(text);
  if (!m) return undefined;
  return { hour: Number(m[1]), minute: Number(m[2] ?? 0), second: Number(m[3] ?? 0), fraction: m[4] ?? '' };
}

/** DA: YYYYMMDD (and the retired YYYY.MM.DD form). */
function dateParts(da: string): Pick<Parts, 'year' | 'month' | 'day'> | undefined {
  const m = /^(\d{4})\.?(\d{2})\.?(\d{2})$/.exec(da);
  if (!m) return undefined;
  return { year: Number(m[1]), month: Number(m[2]), day: Number(m[3]) };
}

/**
 * DT: YYYY[MM[DD[HH[MM[SS[.F{1,6}]]]]]][&ZZXX]. Parts left out are the start of the period (a DT of
 * "2026" is 1 January 2026, 00:00). The value's own offset wins over `defaultOffset` (+HHMM).
 */
export function dicomDateTimeToIso(dt: string, defaultOffset: string): string | undefined {
  const m = /^(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(?:\.(\d{1,6}))?([+-]\d{4})?$/.exec(dt.trim());
  if (!m) return undefined;
  const offset = isoOffset(m[8] ?? defaultOffset);
  if (!offset) return undefined;
  return toIso(
    {
      year: Number(m[1]),
      month: Number(m[2] ?? 1),
      day: Number(m[3] ?? 1),
      hour: Number(m[4] ?? 0),
      minute: Number(m[5] ?? 0),
      second: Number(m[6] ?? 0),
      fraction: m[7] ?? '',
    },
    offset,
  );
}

/** A DA and an optional TM (midnight when absent) at `offset` (+HHMM). */
export function dicomDateAndTimeToIso(da: string, tm: string | undefined, offset: string): string | undefined {
  const date = dateParts(da.trim());
  const time = tm === undefined ? { hour: 0, minute: 0, second: 0, fraction: '' } : timeParts(tm.trim());
  const iso = isoOffset(offset);
  if (!date || !time || !iso) return undefined;
  return toIso({ ...date, ...time }, iso);
}
