/**
 * Dates relative to the test run. A specimen collected more than 30 days before its scan is archived
 * (42 CFR 414.510(b), libs/billing-rules date-of-service.ts): fixtures with a fixed collection date
 * would turn into archived specimens, and their charges into holds, as the calendar moves on.
 */

/** The UTC calendar date `days` days before now, as YYYY-MM-DD. */
export function isoDaysAgo(days: number): string {
  return new Date(Date.now() - days * 86_400_000).toISOString().slice(0, 10);
}

/** The same date as an HL7 v2 / DICOM DT (YYYYMMDD). */
export function compactDaysAgo(days: number): string {
  return isoDaysAgo(days).replaceAll('-', '');
}
