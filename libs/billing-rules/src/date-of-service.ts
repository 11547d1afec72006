import { isIsoDate } from './dates';

/**
 * Date of service of the technical component of a pathology service, 42 CFR 414.510:
 * (a) the date the specimen was collected, except
 * (b)(2)(ii) a specimen stored more than 30 calendar days before testing is archived, and the date of
 * service is the date the specimen was obtained from storage.
 * "Testing" here is the digitization: the day the scan that earns the charge completed.
 * The 14-day rule of (b)(2)(i) (hospital patients, test ordered 14+ days after discharge) is not
 * applied: the LIS sends no discharge date, so a specimen stored 30 days or fewer keeps its collection date.
 */
export const ARCHIVED_AFTER_DAYS = 30;

export const DATE_OF_SERVICE_SOURCE = '42 CFR 414.510(a) and (b)(2)(ii)';

export interface DateOfServiceInput {
  /** Specimen collection date, `YYYY-MM-DD`. */
  collectionDate: string;
  /** The date the specimen was obtained from storage for this service (from the order), `YYYY-MM-DD`. */
  retrievedFromStorageDate?: string;
  /** The date the service was performed (the qualifying scan's completion day, UTC), when known. */
  serviceDate?: string;
}

export type DateOfServiceBasis = 'collection-date' | 'retrieved-from-storage';

export type DateOfServiceProblem =
  | 'invalid-collection-date'
  | 'archived-retrieval-date-unknown'
  | 'retrieval-before-collection'
  | 'retrieval-after-service';

export type DateOfServiceOutcome =
  | { kind: 'decided'; dateOfService: string; basis: DateOfServiceBasis; storedDays?: number; detail: string }
  /** Billable only after review: the charge carries the collection date until the facts are fixed. */
  | { kind: 'hold'; dateOfService: string; problem: Exclude<DateOfServiceProblem, 'invalid-collection-date'>; storedDays?: number; detail: string }
  | { kind: 'invalid'; problem: 'invalid-collection-date'; detail: string };

const DAY_MS = 86_400_000;

/** Calendar days from `from` to `to` (both `YYYY-MM-DD`). */
export function calendarDaysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS);
}

/** The date of service of one specimen's technical component, with the reason in words. */
export function decideDateOfService(input: DateOfServiceInput): DateOfServiceOutcome {
  const { collectionDate } = input;
  if (!isIsoDate(collectionDate)) {
    return { kind: 'invalid', problem: 'invalid-collection-date', detail: `collection date "${collectionDate}" is not a YYYY-MM-DD date` };
  }
  const retrieved = isIsoDate(input.retrievedFromStorageDate) ? input.retrievedFromStorageDate : undefined;
  if (retrieved !== undefined && retrieved < collectionDate) {
    return hold('retrieval-before-collection', collectionDate, undefined, `retrieved from storage ${retrieved} before its collection on ${collectionDate}: the LIS must correct one of the dates`);
  }
  const serviceDate = isIsoDate(input.serviceDate) ? input.serviceDate : undefined;
  if (serviceDate === undefined) return notArchived(collectionDate, undefined, 'date of the service not known yet');
  const storedDays = calendarDaysBetween(collectionDate, serviceDate);
  if (storedDays <= ARCHIVED_AFTER_DAYS) {
    return notArchived(collectionDate, storedDays, `stored ${storedDays} day(s) before the service on ${serviceDate}, not more than ${ARCHIVED_AFTER_DAYS}`);
  }
  const archived = `stored ${storedDays} days (collected ${collectionDate}, digitized ${serviceDate}), more than ${ARCHIVED_AFTER_DAYS}: archived specimen`;
  if (retrieved === undefined) {
    return hold(
      'archived-retrieval-date-unknown',
      collectionDate,
      storedDays,
      `${archived}; its date of service is the date it was obtained from storage (${DATE_OF_SERVICE_SOURCE}), which the order does not give: held until the LIS sends the specimen's retrieval date`,
    );
  }
  if (retrieved > serviceDate) {
    return hold('retrieval-after-service', collectionDate, storedDays, `${archived}, but retrieved from storage ${retrieved}, after it was digitized on ${serviceDate}: the LIS must correct the retrieval date`);
  }
  return {
    kind: 'decided',
    dateOfService: retrieved,
    basis: 'retrieved-from-storage',
    storedDays,
    detail: `${archived}; date of service ${retrieved} = date obtained from storage (${DATE_OF_SERVICE_SOURCE})`,
  };
}

function notArchived(collectionDate: string, storedDays: number | undefined, why: string): DateOfServiceOutcome {
  return {
    kind: 'decided',
    dateOfService: collectionDate,
    basis: 'collection-date',
    ...(storedDays !== undefined ? { storedDays } : {}),
    detail: `date of service ${collectionDate} = specimen collection date, not scan date (${why})`,
  };
}

function hold(
  problem: Exclude<DateOfServiceProblem, 'invalid-collection-date'>,
  collectionDate: string,
  storedDays: number | undefined,
  detail: string,
): DateOfServiceOutcome {
  return { kind: 'hold', dateOfService: collectionDate, problem, ...(storedDays !== undefined ? { storedDays } : {}), detail };
}
