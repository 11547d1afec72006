import fc from 'fast-check';
import { encodeCursor } from '../charges/cursor';
import { toChargeItem } from './charge-item';
import { notFoundOutcome, operationOutcome, searchProblemsOutcome } from './operation-outcome';
import { Bundle, OperationOutcome } from './r4';
import { ChargeItemSearch, chargeWhere, SearchProblem, DEFAULT_COUNT, MAX_COUNT, pageWhere, parseChargeItemSearch, parseDateValue, searchBundle, splitOr } from './search';
import { extensionUrls } from './structure-definitions';

function parsed(query: Record<string, unknown>, lenient = false): ChargeItemSearch {
  const result = parseChargeItemSearch(query, { lenient });
  if (!result.ok) throw new Error(`expected a valid search, got ${JSON.stringify(result.problems)}`);
  return result.search;
}

function problems(query: Record<string, unknown>): SearchProblem[] {
  const result = parseChargeItemSearch(query);
  if (result.ok) throw new Error('expected problems');
  return result.problems;
}

describe('parseChargeItemSearch', () => {
  it('no parameters: every charge, first page of the default size', () => {
    expect(parsed({})).toEqual({ accession: [], patient: [], status: [], date: [], count: DEFAULT_COUNT, used: [] });
  });

  it('accession: a value or system|value; comma = OR, repeat = AND', () => {
    const search = parsed({ accession: ['S26-000123,urn:slidecharge:accession|S26-000124', 'S26-000123'] });
    expect(search.accession).toEqual([['S26-000123', 'S26-000124'], ['S26-000123']]);
    expect(problems({ accession: 'S26 000123' })).toEqual([
      { param: 'accession', code: 'value', message: 'accession: "S26 000123" is not an accession number (3-32 letters, digits, ".", "_" or "-")' },
    ]);
    expect(problems({ accession: 'urn:other|S26-1' })[0]?.message).toContain('urn:slidecharge:accession');
  });

  it('patient: the MRN, Patient/<MRN>, or patient:identifier with or without the MRN system', () => {
    expect(parsed({ patient: 'MRN-0042' }).patient).toEqual([['MRN-0042']]);
    expect(parsed({ patient: 'Patient/MRN-0042' }).patient).toEqual([['MRN-0042']]);
    expect(parsed({ 'patient:identifier': 'urn:slidecharge:mrn|MRN-0042,MRN-7' }).patient).toEqual([['MRN-0042', 'MRN-7']]);
    // Another identifier system matches no charge: an empty OR group (finds nothing), not an error.
    expect(parsed({ 'patient:identifier': 'http://hospital.example/mrn|MRN-0042' }).patient).toEqual([[]]);
    expect(problems({ patient: 'Group/G1' })[0]).toMatchObject({ param: 'patient', message: expect.stringContaining('not a Patient reference') });
    expect(problems({ 'patient:identifier': 'urn:slidecharge:mrn|' })[0]).toMatchObject({ param: 'patient:identifier' });
  });

  it('status: R4 codes (with or without their system) to charge states; billed, entered-in-error and unknown match no charge', () => {
    expect(parsed({ status: 'planned,billable' }).status).toEqual([['held', 'posted']]);
    expect(parsed({ status: 'http://hl7.org/fhir/chargeitem-status|aborted' }).status).toEqual([['voided', 'credited']]);
    expect(parsed({ status: 'entered-in-error' }).status).toEqual([[]]);
    expect(parsed({ status: 'billed' }).status).toEqual([[]]);
    expect(problems({ status: 'posted' })).toEqual([
      {
        param: 'status',
        code: 'code-invalid',
        message: 'status: "posted" is not an R4 ChargeItem status (planned, billable, not-billable, aborted, billed, entered-in-error, unknown)',
      },
    ]);
  });

  it('date and occurrence: prefixes and precisions as day ranges; a repeat is AND (a range)', () => {
    const search = parsed({ date: ['ge2026-01-01', 'le2026-12-31'], occurrence: '2026-02,eq2024' });
    expect(search.date).toEqual([
      [{ prefix: 'ge', start: '2026-01-01', end: '2026-01-01' }],
      [{ prefix: 'le', start: '2026-12-31', end: '2026-12-31' }],
      [
        { prefix: 'eq', start: '2026-02-01', end: '2026-02-28' },
        { prefix: 'eq', start: '2024-01-01', end: '2024-12-31' },
      ],
    ]);
    expect(parseDateValue('2024-02')).toEqual({ prefix: 'eq', start: '2024-02-01', end: '2024-02-29' });
    expect(parseDateValue('sa2026-03-02')).toEqual({ prefix: 'sa', start: '2026-03-02', end: '2026-03-02' });
  });

  it('a bad date names the parameter and says what a date looks like', () => {
    expect(problems({ date: 'yesterday' })).toEqual([
      {
        param: 'date',
        code: 'value',
        message: 'date: "yesterday" is not a date: use an optional prefix (eq, ne, gt, lt, ge, le, sa, eb) and YYYY, YYYY-MM or YYYY-MM-DD, e.g. ge2026-01-01',
      },
    ]);
    expect(problems({ date: '2026-02-30' })[0]?.message).toBe('date: "2026-02-30": 2026-02 has no day 30');
    expect(problems({ date: '2026-13' })[0]?.message).toBe('date: "2026-13": month 13 does not exist');
    expect(problems({ date: 'ap2026-01-01' })[0]?.message).toContain('ap (approximately) is not supported');
    expect(problems({ occurrence: 'ge2026-01-01T10:00:00Z' })[0]?.message).toContain('the date of service is a day');
  });

  it('_count: 0 to 500, larger counts capped; not a number is refused', () => {
    expect(parsed({ _count: '10' }).count).toBe(10);
    expect(parsed({ _count: '0' }).count).toBe(0);
    expect(parsed({ _count: '100000' })).toMatchObject({ count: MAX_COUNT, used: [['_count', String(MAX_COUNT)]] });
    expect(problems({ _count: '-1' })[0]).toMatchObject({ param: '_count', code: 'invalid' });
    expect(problems({ _count: ['1', '2'] })[0]).toMatchObject({ param: '_count', message: '_count: give it once' });
  });

  it('_cursor from a next link; anything else is refused', () => {
    const cursor = { createdAt: '2026-11-27T10:14:04.002Z', chargeId: '5b0c2f6e-1d2a-5c3b-9e4f-0a1b2c3d4e5f' };
    expect(parsed({ _cursor: encodeCursor(cursor) }).cursor).toEqual(cursor);
    expect(problems({ _cursor: 'page2' })[0]).toMatchObject({ param: '_cursor', code: 'invalid' });
  });

  it('refuses unknown parameters and modifiers by name (every problem at once) unless lenient', () => {
    expect(problems({ acession: 'S26-1', 'accession:exact': 'S26-000123', date: 'x', _format: 'xml' }).map((p) => [p.param, p.code])).toEqual([
      ['acession', 'not-supported'],
      ['accession:exact', 'not-supported'],
      ['date', 'value'],
      ['_format', 'not-supported'],
    ]);
    expect(problems({ 'accession:exact': 'S26-000123' })[0]?.message).toBe('accession:exact: the modifier :exact is not supported on accession');
    expect(parsed({ acession: 'S26-1', accession: 'S26-000123', _format: 'json' }, true)).toMatchObject({
      accession: [['S26-000123']],
      used: [['accession', 'S26-000123']],
    });
  });

  it('ignores parameters with an empty value (FHIR) and refuses an empty value between commas', () => {
    expect(parsed({ accession: '', date: '' })).toMatchObject({ accession: [], date: [], used: [] });
    expect(problems({ status: 'planned,' })[0]).toMatchObject({ param: 'status', code: 'invalid' });
    expect(problems({ accession: { nested: 'x' } })[0]).toMatchObject({ param: 'accession', code: 'invalid' });
  });
});

describe('splitOr', () => {
  it('splits on unescaped commas only and removes the escapes', () => {
    expect(splitOr('a,b\\,c,d\\|e')).toEqual(['a', 'b,c', 'd|e']);
  });

  it('round trip: values escaped and joined with commas split back into the same values', () => {
    const escape = (v: string) => v.replace(/\\/g, '\\\\').replace(/,/g, '\\,').replace(/\|/g, '\\|');
    fc.assert(
      fc.property(fc.array(fc.string(), { minLength: 1, maxLength: 5 }), (values) => {
        expect(splitOr(values.map(escape).join(','))).toEqual(values);
      }),
    );
  });
});

describe('chargeWhere / pageWhere', () => {
  const day = (d: string) => new Date(`${d}T00:00:00.000Z`);

  it('AND of the parameters, OR within one; date prefixes on the date of service', () => {
    const search = parsed({ accession: 'S26-000123', patient: 'MRN-1', status: 'planned', date: ['ge2026-01-01', 'le2026-12,ne2027'] });
    expect(chargeWhere(search)).toEqual({
      AND: [
        { accessionNumber: { in: ['S26-000123'] } },
        { patientId: { in: ['MRN-1'] } },
        { status: { in: ['held'] } },
        { OR: [{ dateOfService: { gte: day('2026-01-01') } }] },
        { OR: [{ dateOfService: { lte: day('2026-12-31') } }, { OR: [{ dateOfService: { lt: day('2027-01-01') } }, { dateOfService: { gt: day('2027-12-31') } }] }] },
      ],
    });
    expect(chargeWhere(parsed({ date: 'gt2026-03,lt2026-03,eq2026-03-02,sa2026,eb2026' }))).toEqual({
      AND: [
        {
          OR: [
            { dateOfService: { gt: day('2026-03-31') } },
            { dateOfService: { lt: day('2026-03-01') } },
            { dateOfService: { gte: day('2026-03-02'), lte: day('2026-03-02') } },
            { dateOfService: { gt: day('2026-12-31') } },
            { dateOfService: { lt: day('2026-01-01') } },
          ],
        },
      ],
    });
  });

  it('after the first page: only charges after the cursor in (createdAt, chargeId) order', () => {
    const cursor = { createdAt: '2026-11-27T10:14:04.002Z', chargeId: '5b0c2f6e-1d2a-5c3b-9e4f-0a1b2c3d4e5f' };
    const search = parsed({ _cursor: encodeCursor(cursor) });
    const after = new Date(cursor.createdAt);
    expect(pageWhere(search)).toEqual({
      AND: [{ AND: [] }, { createdAt: { gte: after } }, { OR: [{ createdAt: { gt: after } }, { chargeId: { gt: cursor.chargeId } }] }],
    });
  });
});

describe('searchBundle', () => {
  const item = toChargeItem({
    chargeId: '5b0c2f6e-1d2a-5c3b-9e4f-0a1b2c3d4e5f',
    chargeKey: 'S26-000123/A/0753T',
    generation: 1,
    status: 'held',
    accessionNumber: 'S26-000123',
    specimenId: 'A',
    code: '0753T',
    primaryCode: '88305',
    units: 1,
    dateOfService: '2026-11-20',
    patientId: 'MRN-0042',
    diagnoses: ['C50.911'],
    modifiers: [],
    refusedModifiers: [],
    scanIds: [],
    holdReasons: [{ rule: 'payer-policy', detail: 'Medicare' }],
    decidedAt: '2026-11-27T10:14:04.002Z',
    statusChangedAt: '2026-11-27T10:14:04.002Z',
  }, extensionUrls('https://fhir.lab.example/slidecharge'));

  it('a valid R4 searchset with total, self and next links that keep the parameters', () => {
    const search = parsed({ date: ['ge2026-01-01', 'le2026-12-31'], status: 'planned', _count: '1' });
    const next = { createdAt: '2026-11-27T10:14:04.002Z', chargeId: item.id ?? '' };
    const bundle = searchBundle({ base: 'http://billing:3004/fhir', search, total: 3, resources: [item], next });
    expect(Bundle.safeParse(bundle).error?.issues).toBeUndefined();
    expect(bundle).toMatchObject({ resourceType: 'Bundle', type: 'searchset', total: 3 });
    expect(bundle.link).toEqual([
      { relation: 'self', url: 'http://billing:3004/fhir/ChargeItem?date=ge2026-01-01&date=le2026-12-31&status=planned&_count=1' },
      {
        relation: 'next',
        url: `http://billing:3004/fhir/ChargeItem?date=ge2026-01-01&date=le2026-12-31&status=planned&_count=1&_cursor=${encodeCursor(next)}`,
      },
    ]);
    expect(bundle.entry).toEqual([{ fullUrl: `http://billing:3004/fhir/ChargeItem/${item.id}`, resource: item, search: { mode: 'match' } }]);
  });

  it('an empty page has no entry and no next link (R4 forbids empty arrays)', () => {
    const bundle = searchBundle({ base: 'http://billing:3004/fhir', search: parsed({ accession: 'NONE-1' }), total: 0, resources: [] });
    expect(Bundle.safeParse(bundle).success).toBe(true);
    expect(bundle).toEqual({
      resourceType: 'Bundle',
      type: 'searchset',
      total: 0,
      link: [{ relation: 'self', url: 'http://billing:3004/fhir/ChargeItem?accession=NONE-1' }],
    });
  });
});

describe('OperationOutcome', () => {
  it('one issue per bad parameter, located as http.<name>; 404 and other errors are valid R4 too', () => {
    const outcome = searchProblemsOutcome(problems({ date: 'x', status: 'on-hold' }));
    expect(OperationOutcome.safeParse(outcome).success).toBe(true);
    expect(outcome.issue.map((i) => [i.severity, i.code, i.location])).toEqual([
      ['error', 'value', ['http.date']],
      ['error', 'code-invalid', ['http.status']],
    ]);
    expect(OperationOutcome.safeParse(notFoundOutcome('abc')).success).toBe(true);
    expect(notFoundOutcome('abc').issue[0]).toMatchObject({ code: 'not-found', diagnostics: 'ChargeItem/abc is not known: no charge has this id' });
    expect(OperationOutcome.safeParse(operationOutcome('exception', 'boom')).success).toBe(true);
  });
});
