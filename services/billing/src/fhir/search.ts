import { AccessionNumber } from '@slidecharge/contracts';
import { ChargeCursor, decodeCursor, encodeCursor } from '../charges/cursor';
import type { Prisma } from '../generated/prisma/client';
import { FHIR_SYSTEMS, storedStatusesOf } from './charge-item';
import { Bundle, CHARGE_ITEM_STATUSES, ChargeItem, ChargeItemStatus } from './r4';
import { dateColumn } from '../prisma.service';
import type { StoredChargeStatus } from '../charge/charge-status';

/**
 * GET /fhir/ChargeItem search parameters: parsing (every problem named), the Prisma filter they make,
 * and the searchset Bundle with its paging links. Pure: no I/O.
 *
 * Parameters (FHIR search rules: a comma inside one value means OR, a repeated parameter means AND;
 * "\," is a literal comma; a parameter with an empty value is ignored):
 * - accession (custom, token on the accession identifier of supportingInformation): `S26-000123` or
 *   `urn:slidecharge:accession|S26-000123`
 * - patient (R4 ChargeItem-patient, reference): `patient:identifier=[urn:slidecharge:mrn|]MRN-0042`, or
 *   `patient=MRN-0042` / `patient=Patient/MRN-0042` (slidecharge serves no Patient resources: the id is
 *   taken as the MRN)
 * - date (custom, same as the R4 `occurrence` parameter, which is accepted too): date of service with an
 *   optional prefix eq ne gt lt ge le sa eb and a YYYY, YYYY-MM or YYYY-MM-DD value
 * - status (custom: R4 defines no status search on ChargeItem; token on ChargeItem.status)
 * - _count (page size, 0-500, default 50; 0 answers the total only), _cursor (from the next link),
 *   _format (json only)
 * Unknown parameters are refused (400) unless the request says `Prefer: handling=lenient`, so that a
 * misspelt filter never returns every charge.
 */

export const DEFAULT_COUNT = 50;
export const MAX_COUNT = 500;

export const SEARCH_PARAMETERS = ['accession', 'patient', 'patient:identifier', 'date', 'occurrence', 'status', '_count', '_cursor', '_format'] as const;

export type DatePrefix = 'eq' | 'ne' | 'gt' | 'lt' | 'ge' | 'le' | 'sa' | 'eb';
const DATE_PREFIXES: readonly DatePrefix[] = ['eq', 'ne', 'gt', 'lt', 'ge', 'le', 'sa', 'eb'];

/** A date-of-service condition: the search value as the range of days [start, end] it covers. */
export interface DateCondition {
  prefix: DatePrefix;
  /** YYYY-MM-DD, both inclusive */
  start: string;
  end: string;
}

export interface ChargeItemSearch {
  /** Each inner list is OR, the outer list AND. */
  accession: string[][];
  /** MRNs */
  patient: string[][];
  /** The charge states each status value matches (an empty list: a status no charge has, e.g. billed). */
  status: StoredChargeStatus[][];
  date: DateCondition[][];
  count: number;
  cursor?: ChargeCursor;
  /** The parameters used, in request order, for the self and next links (without _cursor). */
  used: [string, string][];
}

export interface SearchProblem {
  /** The parameter at fault, e.g. `date`. */
  param: string;
  message: string;
  code: 'invalid' | 'value' | 'not-supported' | 'code-invalid';
}

export type SearchParse = { ok: true; search: ChargeItemSearch } | { ok: false; problems: SearchProblem[] };

export type RawQuery = Record<string, unknown>;

/** Splits a FHIR search value on unescaped commas and removes the escapes (`\,` `\|` `\$` `\\`). */
export function splitOr(value: string): string[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < value.length; i++) {
    const ch = value[i];
    if (ch === '\\' && i + 1 < value.length) {
      current += value[i + 1];
      i++;
    } else if (ch === ',') {
      parts.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  parts.push(current);
  return parts;
}

/** Splits a token `system|code` (an unescaped `|`); no `|`: any system. */
function splitToken(value: string): { system?: string; code: string } {
  for (let i = 0; i < value.length; i++) {
    if (value[i] === '\\') {
      i++;
    } else if (value[i] === '|') {
      return { system: value.slice(0, i), code: value.slice(i + 1) };
    }
  }
  return { code: value };
}

const daysInMonth = (year: number, month: number) => new Date(Date.UTC(year, month, 0)).getUTCDate();
const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** A date search value (with optional prefix) as a range of days, or a message saying what is wrong. */
export function parseDateValue(raw: string): DateCondition | string {
  const match = /^(eq|ne|gt|lt|ge|le|sa|eb|ap)?(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$/.exec(raw);
  if (!match) {
    return /^(eq|ne|gt|lt|ge|le|sa|eb|ap)?\d{4}-\d{2}-\d{2}T/.test(raw)
      ? `"${raw}": the date of service is a day; give YYYY-MM-DD (or YYYY-MM, YYYY) without a time`
      : `"${raw}" is not a date: use an optional prefix (${DATE_PREFIXES.join(', ')}) and YYYY, YYYY-MM or YYYY-MM-DD, e.g. ge2026-01-01`;
  }
  const [, prefix, y, m, d] = match;
  if (prefix === 'ap') return `"${raw}": the prefix ap (approximately) is not supported; use ge and le`;
  const year = Number(y);
  if (year < 1) return `"${raw}": year 0000 is not a date`;
  if (m === undefined) return { prefix: (prefix ?? 'eq') as DatePrefix, start: `${y}-01-01`, end: `${y}-12-31` };
  const month = Number(m);
  if (month < 1 || month > 12) return `"${raw}": month ${m} does not exist`;
  if (d === undefined) return { prefix: (prefix ?? 'eq') as DatePrefix, start: `${y}-${m}-01`, end: `${y}-${m}-${pad(daysInMonth(year, month))}` };
  const day = Number(d);
  if (day < 1 || day > daysInMonth(year, month)) return `"${raw}": ${y}-${m} has no day ${d}`;
  return { prefix: (prefix ?? 'eq') as DatePrefix, start: `${y}-${m}-${d}`, end: `${y}-${m}-${d}` };
}

/** The values of a query parameter as strings (Express gives a string, or an array when repeated). */
function valuesOf(value: unknown): string[] | undefined {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value as string[];
  return undefined;
}

const STATUS_LIST = CHARGE_ITEM_STATUSES.join(', ');

/**
 * Parses the query of GET /fhir/ChargeItem. Every problem is reported at once, each naming its
 * parameter. `lenient` (Prefer: handling=lenient) ignores unknown parameters instead of refusing them.
 */
export function parseChargeItemSearch(query: RawQuery, options: { lenient?: boolean } = {}): SearchParse {
  const problems: SearchProblem[] = [];
  const search: ChargeItemSearch = { accession: [], patient: [], status: [], date: [], count: DEFAULT_COUNT, used: [] };
  let countSeen = false;
  for (const [name, rawValue] of Object.entries(query)) {
    const values = valuesOf(rawValue);
    if (!values) {
      problems.push({ param: name, code: 'invalid', message: `${name}: give the parameter as name=value` });
      continue;
    }
    const known = (SEARCH_PARAMETERS as readonly string[]).includes(name);
    if (!known) {
      if (options.lenient) continue;
      const [base, modifier] = name.split(':');
      problems.push({
        param: name,
        code: 'not-supported',
        message:
          modifier !== undefined && (SEARCH_PARAMETERS as readonly string[]).includes(base ?? '')
            ? `${name}: the modifier :${modifier} is not supported on ${base}`
            : `${name}: unknown search parameter; ChargeItem here is searched by accession, patient, patient:identifier, date (or occurrence), status, _count`,
      });
      continue;
    }
    for (const value of values) {
      if (value === '') continue;
      if (name === '_format') {
        if (!['json', 'application/json', 'application/fhir+json'].includes(value)) {
          problems.push({ param: name, code: 'not-supported', message: `_format: only JSON is served (json, application/fhir+json), not "${value}"` });
        }
        continue;
      }
      if (name === '_cursor') {
        const cursor = decodeCursor(value);
        if (!cursor) problems.push({ param: name, code: 'invalid', message: '_cursor: not a cursor of this server; follow the next link as given' });
        else search.cursor = cursor;
        continue;
      }
      if (name === '_count') {
        if (countSeen) {
          problems.push({ param: name, code: 'invalid', message: '_count: give it once' });
          continue;
        }
        countSeen = true;
        if (!/^\d{1,6}$/.test(value)) {
          problems.push({ param: name, code: 'invalid', message: `_count: "${value}" is not a whole number from 0 to ${MAX_COUNT}` });
          continue;
        }
        // A server may return fewer than asked (FHIR): larger counts are capped.
        search.count = Math.min(Number(value), MAX_COUNT);
        search.used.push([name, String(search.count)]);
        continue;
      }
      const group = parseGroup(name, value, problems);
      if (group === undefined) continue;
      search.used.push([name, value]);
      if (group.kind === 'accession') search.accession.push(group.values);
      else if (group.kind === 'patient') search.patient.push(group.values);
      else if (group.kind === 'status') search.status.push(group.values);
      else search.date.push(group.values);
    }
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, search };
}

type Group =
  | { kind: 'accession'; values: string[] }
  | { kind: 'patient'; values: string[] }
  | { kind: 'status'; values: StoredChargeStatus[] }
  | { kind: 'date'; values: DateCondition[] };

/** One occurrence of a filter parameter (its comma-separated OR values), or undefined after a problem. */
function parseGroup(name: string, value: string, problems: SearchProblem[]): Group | undefined {
  const parts = splitOr(value);
  const before = problems.length;
  const report = (message: string, code: SearchProblem['code'] = 'value') => problems.push({ param: name, code, message: `${name}: ${message}` });
  if (parts.some((p) => p === '')) {
    report(`"${value}" has an empty value between commas`, 'invalid');
    return undefined;
  }
  switch (name) {
    case 'accession': {
      const values: string[] = [];
      for (const part of parts) {
        const { system, code } = splitToken(part);
        if (system !== undefined && system !== '' && system !== FHIR_SYSTEMS.accession) {
          report(`the accession system is ${FHIR_SYSTEMS.accession}, not "${system}"`);
          continue;
        }
        const parsed = AccessionNumber.safeParse(code);
        if (!parsed.success) report(`"${code}" is not an accession number (3-32 letters, digits, ".", "_" or "-")`);
        else values.push(parsed.data);
      }
      return problems.length > before ? undefined : { kind: 'accession', values };
    }
    case 'patient':
    case 'patient:identifier': {
      const values: string[] = [];
      for (const part of parts) {
        if (name === 'patient') {
          // A reference: [Patient/]id, where the id is taken as the MRN.
          if (/^https?:\/\//.test(part) || (part.includes('/') && !part.startsWith('Patient/'))) {
            report(`"${part}" is not a Patient reference; give Patient/<MRN>, the MRN, or use patient:identifier`);
            continue;
          }
          values.push(part.startsWith('Patient/') ? part.slice('Patient/'.length) : part);
        } else {
          const { system, code } = splitToken(part);
          // An identifier of another system matches no charge (an OR group left empty finds nothing).
          if (system !== undefined && system !== '' && system !== FHIR_SYSTEMS.mrn) continue;
          if (code === '') report(`"${part}" has no identifier value`);
          else values.push(code);
        }
      }
      return problems.length > before ? undefined : { kind: 'patient', values };
    }
    case 'status': {
      const values: StoredChargeStatus[] = [];
      for (const part of parts) {
        const { system, code } = splitToken(part);
        if (system !== undefined && system !== '' && system !== FHIR_SYSTEMS.chargeItemStatus) {
          report(`the status system is ${FHIR_SYSTEMS.chargeItemStatus}, not "${system}"`, 'code-invalid');
          continue;
        }
        const status = ChargeItemStatus.safeParse(code);
        if (!status.success) report(`"${code}" is not an R4 ChargeItem status (${STATUS_LIST})`, 'code-invalid');
        else values.push(...storedStatusesOf(status.data));
      }
      return problems.length > before ? undefined : { kind: 'status', values };
    }
    case 'date':
    case 'occurrence': {
      const values: DateCondition[] = [];
      for (const part of parts) {
        const parsed = parseDateValue(part);
        if (typeof parsed === 'string') report(parsed);
        else values.push(parsed);
      }
      return problems.length > before ? undefined : { kind: 'date', values };
    }
    default:
      report('unknown search parameter', 'not-supported');
      return undefined;
  }
}

function dateWhere(condition: DateCondition): Prisma.ChargeWhereInput {
  const start = dateColumn(condition.start);
  const end = dateColumn(condition.end);
  switch (condition.prefix) {
    case 'eq':
      return { dateOfService: { gte: start, lte: end } };
    case 'ne':
      return { OR: [{ dateOfService: { lt: start } }, { dateOfService: { gt: end } }] };
    case 'gt':
    case 'sa':
      return { dateOfService: { gt: end } };
    case 'lt':
    case 'eb':
      return { dateOfService: { lt: start } };
    case 'ge':
      return { dateOfService: { gte: start } };
    case 'le':
      return { dateOfService: { lte: end } };
  }
}

/** The Prisma filter of a search (without its cursor). */
export function chargeWhere(search: ChargeItemSearch): Prisma.ChargeWhereInput {
  const and: Prisma.ChargeWhereInput[] = [
    ...search.accession.map((values) => ({ accessionNumber: { in: values } })),
    ...search.patient.map((values) => ({ patientId: { in: values } })),
    ...search.status.map((values) => ({ status: { in: values } })),
    ...search.date.map((conditions) => ({ OR: conditions.map(dateWhere) })),
  ];
  return { AND: and };
}

/** The filter of a search page: the search and, after the first page, the charges after the cursor. */
export function pageWhere(search: ChargeItemSearch): Prisma.ChargeWhereInput {
  const where = chargeWhere(search);
  if (!search.cursor) return where;
  const after = new Date(search.cursor.createdAt);
  // The bound on createdAt alone lets the index scan start at the cursor (docs/benchmarks.md, History).
  return {
    AND: [where, { createdAt: { gte: after } }, { OR: [{ createdAt: { gt: after } }, { chargeId: { gt: search.cursor.chargeId } }] }],
  };
}

function searchUrl(base: string, used: readonly [string, string][], cursor?: string): string {
  const params = new URLSearchParams();
  for (const [name, value] of used) params.append(name, value);
  if (cursor) params.append('_cursor', cursor);
  const query = params.toString();
  return `${base}/ChargeItem${query ? `?${query}` : ''}`;
}

/**
 * The searchset Bundle of one page. `base` is the FHIR base URL (http://host:port/fhir); `next` is the
 * position of the last charge of the page when more follow.
 */
export function searchBundle(input: {
  base: string;
  search: ChargeItemSearch;
  total: number;
  resources: ChargeItem[];
  next?: ChargeCursor;
}): Bundle {
  const { base, search, total, resources, next } = input;
  const self = searchUrl(base, search.used, search.cursor ? encodeCursor(search.cursor) : undefined);
  return {
    resourceType: 'Bundle',
    type: 'searchset',
    total,
    link: [{ relation: 'self', url: self }, ...(next ? [{ relation: 'next', url: searchUrl(base, search.used, encodeCursor(next)) }] : [])],
    ...(resources.length > 0
      ? { entry: resources.map((resource) => ({ fullUrl: `${base}/ChargeItem/${resource.id}`, resource, search: { mode: 'match' as const } })) }
      : {}),
  };
}
