import { fhirProblemLines } from '@slidecharge/testing';
import type { Charge as ChargeRow, Credit as CreditRow } from '../generated/prisma/client';
import { chargeFromRow } from '../charge/charge-row';
import { addOnDisplay, ChargeItemSource, chargeItemSourceFromRow, chargeItemSourceOf, FHIR_STATUS_OF, FHIR_SYSTEMS, modifierSystem, storedStatusesOf, toChargeItem } from './charge-item';
import { CHARGE_ITEM_STATUSES, ChargeItem } from './r4';
import { extensionUrls } from './structure-definitions';
import type { StoredChargeStatus } from '../charge/charge-status';

const URLS = extensionUrls('https://fhir.lab.example/slidecharge');

const CHARGE_ID = '5b0c2f6e-1d2a-5c3b-9e4f-0a1b2c3d4e5f';

function source(over: Partial<ChargeItemSource> = {}): ChargeItemSource {
  return {
    chargeId: CHARGE_ID,
    chargeKey: 'S26-000123/A/0753T',
    generation: 1,
    status: 'posted',
    accessionNumber: 'S26-000123',
    specimenId: 'A',
    code: '0753T',
    primaryCode: '88305',
    units: 2,
    dateOfService: '2026-11-20',
    patientId: 'MRN-0042',
    diagnoses: ['C50.911', 'Z80.3'],
    modifiers: [],
    refusedModifiers: [],
    performer: { taxonomy: '246QH0600X', description: 'Specialist/Technologist, Pathology - Histology' },
    scanIds: ['img-7f3c9b'],
    holdReasons: [],
    decidedAt: '2026-11-27T10:14:04.002Z',
    statusChangedAt: '2026-11-27T10:14:04.002Z',
    ...over,
  };
}

/** Every charge state, with the facts that state comes with. */
const EVERY_STATE: Record<StoredChargeStatus, ChargeItemSource> = {
  held: source({ status: 'held', holdReasons: [{ rule: 'payer-policy', detail: 'Medicare: MAC wants a justification' }] }),
  posted: source(),
  'do-not-send': source({ status: 'do-not-send' }),
  voided: source({ status: 'voided', void: { by: 'j.doe', reason: 'plan excludes digitization', at: '2026-11-28T09:00:00.000Z' } }),
  credited: source({
    status: 'credited',
    credit: { creditId: '7a0c2f6e-1d2a-5c3b-9e4f-0a1b2c3d4e5f', reason: 'case-cancelled', detail: 'case cancelled: wrong patient', creditedAt: '2026-11-28T09:00:00.000Z' },
  }),
};

/**
 * The R4 ChargeItem rules stated once more, independently of the zod schema: the required elements
 * (cardinality 1..1) and the required value set of status.
 */
function r4Problems(resource: Record<string, unknown>): string[] {
  const problems: string[] = [];
  for (const required of ['status', 'code', 'subject']) if (resource[required] === undefined) problems.push(`${required} is required (1..1)`);
  if (!(CHARGE_ITEM_STATUSES as readonly unknown[]).includes(resource['status'])) problems.push(`status ${String(resource['status'])} is not in ChargeItemStatus`);
  if (resource['resourceType'] !== 'ChargeItem') problems.push('resourceType');
  const result = ChargeItem.safeParse(resource);
  if (!result.success) problems.push(...result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  return problems;
}

describe('toChargeItem', () => {
  it.each(Object.keys(EVERY_STATE) as StoredChargeStatus[])('a %s charge is a valid R4 ChargeItem (zod and the official R4 definitions)', (state) => {
    const item = toChargeItem(EVERY_STATE[state], URLS);
    expect(r4Problems(item)).toEqual([]);
    expect(fhirProblemLines(item)).toEqual([]);
    expect(item.status).toBe(FHIR_STATUS_OF[state]);
  });

  it('maps each charge state to the R4 status of the integration guide table: a credited charge is aborted, never entered-in-error', () => {
    expect(FHIR_STATUS_OF).toEqual({
      held: 'planned',
      posted: 'billable',
      'do-not-send': 'not-billable',
      voided: 'aborted',
      credited: 'aborted',
    });
    // Each status search finds exactly the states that map to it; nothing is ever billed, entered-in-error or unknown.
    expect(CHARGE_ITEM_STATUSES.map((s) => [s, storedStatusesOf(s)])).toEqual([
      ['planned', ['held']],
      ['billable', ['posted']],
      ['not-billable', ['do-not-send']],
      ['aborted', ['voided', 'credited']],
      ['billed', []],
      ['entered-in-error', []],
      ['unknown', []],
    ]);
  });

  it('links a credited charge to its credit and its re-charge, and a re-charge to the charge it replaces, in extensions', () => {
    const RECHARGE = '11111111-2222-5333-8444-555555555555';
    const credited = toChargeItem({ ...EVERY_STATE.credited, replacedByChargeIds: [RECHARGE] }, URLS);
    expect(credited.status).toBe('aborted');
    expect(credited.extension).toEqual([
      {
        url: 'https://fhir.lab.example/slidecharge/StructureDefinition/charge-credit',
        extension: [
          { url: 'credit', valueIdentifier: { system: 'urn:slidecharge:credit-id', value: '7a0c2f6e-1d2a-5c3b-9e4f-0a1b2c3d4e5f' } },
          { url: 'date', valueDateTime: '2026-11-28T09:00:00.000Z' },
          { url: 'reason', valueCode: 'case-cancelled' },
          { url: 'replacedBy', valueReference: { reference: `ChargeItem/${RECHARGE}`, type: 'ChargeItem', identifier: { system: FHIR_SYSTEMS.chargeId, value: RECHARGE } } },
        ],
      },
    ]);
    expect(fhirProblemLines(credited)).toEqual([]);
    const recharge = toChargeItem(source({ chargeId: RECHARGE, generation: 2, replacesChargeId: CHARGE_ID }), URLS);
    expect(recharge.extension).toEqual([
      {
        url: 'https://fhir.lab.example/slidecharge/StructureDefinition/charge-replaces',
        valueReference: { reference: `ChargeItem/${CHARGE_ID}`, type: 'ChargeItem', identifier: { system: FHIR_SYSTEMS.chargeId, value: CHARGE_ID } },
      },
    ]);
    expect(fhirProblemLines(recharge)).toEqual([]);
    expect(toChargeItem(EVERY_STATE.credited, URLS).extension?.[0]?.extension?.map((e) => e.url)).toEqual(['credit', 'date', 'reason']);
  });

  it('says what was charged: id, identifiers, CPT code, patient, date of service, units, performer, diagnoses, primary procedure', () => {
    const item = toChargeItem(source(), URLS);
    expect(item).toMatchObject({
      resourceType: 'ChargeItem',
      id: CHARGE_ID,
      identifier: [
        { use: 'official', system: 'urn:slidecharge:charge-id', value: CHARGE_ID },
        { use: 'secondary', system: 'urn:slidecharge:charge-key', value: 'S26-000123/A/0753T' },
      ],
      status: 'billable',
      code: {
        coding: [{ system: 'http://www.ama-assn.org/go/cpt', code: '0753T', display: addOnDisplay('0753T', '88305') }],
      },
      subject: {
        type: 'Patient',
        identifier: { type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'MR' }] }, system: 'urn:slidecharge:mrn', value: 'MRN-0042' },
      },
      occurrenceDateTime: '2026-11-20',
      quantity: { value: 2 },
      performer: [
        {
          function: { coding: [{ system: 'http://nucc.org/provider-taxonomy', code: '246QH0600X', display: 'Specialist/Technologist, Pathology - Histology' }] },
          actor: { display: expect.stringContaining('Scanning staff') },
        },
      ],
      partOf: [
        {
          type: 'ChargeItem',
          identifier: { system: 'urn:slidecharge:primary-procedure', value: 'S26-000123/A/88305' },
          display: expect.stringContaining('CPT 88305 (Level IV surgical pathology'),
        },
      ],
      reason: [
        { coding: [{ system: 'http://hl7.org/fhir/sid/icd-10-cm', code: 'C50.911' }] },
        { coding: [{ system: 'http://hl7.org/fhir/sid/icd-10-cm', code: 'Z80.3' }] },
      ],
      enteredDate: '2026-11-27T10:14:04.002Z',
      meta: { lastUpdated: '2026-11-27T10:14:04.002Z' },
      service: [{ type: 'ImagingStudy', identifier: { system: 'urn:slidecharge:scan-id', value: 'img-7f3c9b' } }],
    });
    expect(item.code.coding?.[0]?.display).toBe('Digitization of glass microscope slides (add-on 0753T to CPT 88305, Level IV surgical pathology, gross and microscopic examination)');
    expect(item.supportingInformation).toEqual([
      expect.objectContaining({ type: 'ServiceRequest', identifier: expect.objectContaining({ system: FHIR_SYSTEMS.accession, value: 'S26-000123' }) }),
      expect.objectContaining({ type: 'Specimen', identifier: { system: FHIR_SYSTEMS.specimen, value: 'S26-000123/A' } }),
    ]);
    expect(item.note).toBeUndefined();
    expect(item.text?.div).toContain('0753T x 2 (add-on to 88305), specimen A of S26-000123, date of service 2026-11-20: billable (charge posted).');
  });

  it('carries modifiers in claim order in the charge-modifier extension (canonical URL), CPT (two digits) or HCPCS Level II system', () => {
    const item = toChargeItem(source({ modifiers: ['Q1', '26', 'GA'] }), URLS);
    expect(r4Problems(item)).toEqual([]);
    expect(fhirProblemLines(item)).toEqual([]);
    expect(URLS.modifier).toBe('https://fhir.lab.example/slidecharge/StructureDefinition/charge-modifier');
    expect(item.extension).toEqual([
      { url: URLS.modifier, valueCoding: { system: FHIR_SYSTEMS.hcpcs, code: 'Q1' } },
      { url: URLS.modifier, valueCoding: { system: FHIR_SYSTEMS.cpt, code: '26' } },
      { url: URLS.modifier, valueCoding: { system: FHIR_SYSTEMS.hcpcs, code: 'GA' } },
    ]);
    expect(item.code.coding?.[0]?.extension).toBeUndefined();
    expect(item.code.text).toMatch(/^0753T-Q1-26-GA /);
    expect(['TC', 'GZ', 'XU', 'SU'].map(modifierSystem)).toEqual(Array(4).fill(FHIR_SYSTEMS.hcpcs));
    expect(['52', '59', '91'].map(modifierSystem)).toEqual(Array(3).fill(FHIR_SYSTEMS.cpt));
  });

  it('notes why a charge is held, credited, voided or released, and which modifiers were refused', () => {
    expect(toChargeItem(EVERY_STATE.held, URLS).note).toEqual([
      { authorString: 'slidecharge billing rules', time: '2026-11-27T10:14:04.002Z', text: 'Held for review (payer-policy): Medicare: MAC wants a justification' },
    ]);
    expect(toChargeItem(EVERY_STATE.credited, URLS).note).toEqual([
      {
        authorString: 'slidecharge billing rules',
        time: '2026-11-28T09:00:00.000Z',
        text: 'Credited (case-cancelled), credit 7a0c2f6e-1d2a-5c3b-9e4f-0a1b2c3d4e5f: case cancelled: wrong patient',
      },
    ]);
    expect(toChargeItem(EVERY_STATE.voided, URLS).note).toEqual([
      { authorString: 'j.doe', time: '2026-11-28T09:00:00.000Z', text: 'Voided before it was sent: plan excludes digitization' },
    ]);
    const released = toChargeItem(
      source({
        holdReasons: [{ rule: 'unit-limit', detail: 'MUE 1 per day' }],
        release: { by: 'j.doe (billing)', justification: 'Novitas: necessity documented', at: '2026-11-28T08:00:00.000Z' },
        refusedModifiers: [{ modifier: '91', reason: 'never for a rescan' }],
        generation: 2,
        replacesChargeId: '11111111-2222-5333-8444-555555555555',
      }),
      URLS,
    );
    expect(r4Problems(released)).toEqual([]);
    expect(released.note?.map((n) => n.text)).toEqual([
      'Was held for review (unit-limit): MUE 1 per day',
      'Released from review: Novitas: necessity documented',
      'Modifier 91 refused: never for a rescan',
      'Re-charge (generation 2) replacing the reversed charge 11111111-2222-5333-8444-555555555555',
    ]);
    expect(released.note?.[1]?.authorString).toBe('j.doe (billing)');
  });

  it('leaves out what it does not know rather than sending empty arrays or invented values', () => {
    const item = toChargeItem(source({ diagnoses: [], scanIds: [], performer: undefined, primaryCode: '88399', code: '0899T' }), URLS);
    expect(r4Problems(item)).toEqual([]);
    expect(item.reason).toBeUndefined();
    expect(item.service).toBeUndefined();
    expect(item.performer).toBeUndefined();
    expect(item.partOf?.[0]?.display).toBe('CPT 88399, specimen A of S26-000123');
    expect(item.code.coding?.[0]?.display).toBe('Digitization of glass microscope slides (add-on 0899T to CPT 88399)');
  });
});

describe('the R4 check itself', () => {
  const valid = toChargeItem(source(), URLS) as Record<string, unknown>;

  it.each([
    ['status', { status: undefined }, 'status'],
    ['code', { code: undefined }, 'code'],
    ['subject', { subject: undefined }, 'subject'],
  ])('refuses a ChargeItem without %s', (_name, change, path) => {
    expect(r4Problems({ ...valid, ...change })).toEqual(expect.arrayContaining([`${path} is required (1..1)`]));
  });

  it('refuses a status outside the R4 value set (on-hold is R5), an element R4 lacks, an empty array and a wrong reference target', () => {
    expect(r4Problems({ ...valid, status: 'on-hold' })).toEqual(expect.arrayContaining(['status on-hold is not in ChargeItemStatus']));
    expect(r4Problems({ ...valid, modifier: [{ text: 'GA' }] }).join()).toContain('modifier');
    expect(r4Problems({ ...valid, reason: [] }).join()).toContain('reason');
    expect(r4Problems({ ...valid, subject: { type: 'Practitioner', display: 'x' } }).join()).toContain('must reference Patient | Group');
    expect(r4Problems({ ...valid, occurrenceDateTime: '2026-11-20T10:00:00' }).join()).toContain('occurrenceDateTime');
    expect(r4Problems({ ...valid, occurrencePeriod: { start: '2026-11-20' } }).join()).toContain('occurrence[x]: one type only');
    expect(r4Problems({ ...valid, performer: [{ function: { text: 'scanning' } }] }).join()).toContain('performer.0.actor');
  });
});

describe('chargeItemSourceFromRow', () => {
  const row: Omit<ChargeRow, 'trace'> & { credit: CreditRow | null } = {
    chargeId: CHARGE_ID,
    chargeKey: 'S26-000123/A/0753T',
    generation: 1,
    accessionNumber: 'S26-000123',
    specimenId: 'A',
    code: '0753T',
    primaryCode: '88305',
    units: 1,
    dateOfService: new Date('2026-11-20T00:00:00.000Z'),
    patientId: 'MRN-0042',
    payerId: 'AETNA',
    diagnoses: ['C50.911'],
    diagnosisPointers: [1],
    modifiers: ['Q1'],
    refusedModifiers: [{ modifier: '51', reason: 'add-on codes are 51-exempt' }],
    performerTaxonomy: '246QH0600X',
    performerName: 'Specialist/Technologist, Pathology - Histology',
    policyVersion: '2025.1',
    payerPolicyId: 'aetna',
    holdReasons: [],
    flags: [],
    replacesChargeId: null,
    slideBarcodes: ['S26-000123-A1-1'],
    scanIds: ['img-1'],
    causedBy: ['e1'],
    status: 'credited',
    postedAt: new Date('2026-11-27T10:14:04.002Z'),
    release: null,
    statusChangedAt: new Date('2026-11-28T09:00:00.000Z'),
    createdAt: new Date('2026-11-27T10:14:04.002Z'),
    traceId: null,
    credit: {
      creditId: '7a0c2f6e-1d2a-5c3b-9e4f-0a1b2c3d4e5f',
      creditFor: CHARGE_ID,
      reason: 'case-cancelled',
      detail: 'cancelled',
      causedBy: ['e2'],
      trace: [],
      createdAt: new Date('2026-11-28T09:00:00.000Z'),
      traceId: null,
    },
  };

  it('reads the charge, its credit and its dates', () => {
    expect(chargeItemSourceFromRow(row)).toEqual({
      chargeId: CHARGE_ID,
      chargeKey: 'S26-000123/A/0753T',
      generation: 1,
      status: 'credited',
      accessionNumber: 'S26-000123',
      specimenId: 'A',
      code: '0753T',
      primaryCode: '88305',
      units: 1,
      dateOfService: '2026-11-20',
      patientId: 'MRN-0042',
      diagnoses: ['C50.911'],
      modifiers: ['Q1'],
      refusedModifiers: [{ modifier: '51', reason: 'add-on codes are 51-exempt' }],
      performer: { taxonomy: '246QH0600X', description: 'Specialist/Technologist, Pathology - Histology' },
      scanIds: ['img-1'],
      holdReasons: [],
      credit: { creditId: '7a0c2f6e-1d2a-5c3b-9e4f-0a1b2c3d4e5f', reason: 'case-cancelled', detail: 'cancelled', creditedAt: '2026-11-28T09:00:00.000Z' },
      decidedAt: '2026-11-27T10:14:04.002Z',
      statusChangedAt: '2026-11-28T09:00:00.000Z',
    });
  });

  it('is built from the same Charge the topic and the DFT^P03 carry (chargeFromRow), plus the row\'s bookkeeping', () => {
    const charge = chargeFromRow(row);
    const source = chargeItemSourceFromRow(row);
    expect(source).toEqual(chargeItemSourceOf(charge, row));
    // Every Charge field the ChargeItem shows is the Charge's value, not a second reading of the row.
    for (const field of ['chargeId', 'chargeKey', 'accessionNumber', 'specimenId', 'code', 'primaryCode', 'units', 'dateOfService', 'patientId', 'diagnoses', 'modifiers', 'scanIds'] as const) {
      expect(source[field]).toEqual(charge[field]);
    }
    expect(source.performer).toEqual({ taxonomy: charge.performer.taxonomy, description: charge.performer.description });
    const other = { ...charge, patientId: 'MRN-0099', diagnoses: ['Z80.3'], release: { by: 'j.doe', justification: 'ok', at: '2026-11-28T09:00:00.000Z' }, replacesChargeId: CHARGE_ID };
    expect(chargeItemSourceOf(other, row)).toMatchObject({ patientId: 'MRN-0099', diagnoses: ['Z80.3'], release: other.release, replacesChargeId: CHARGE_ID });
  });

  it('takes the void audit line only for a voided charge, and no performer when none was recorded', () => {
    const at = new Date('2026-11-28T09:00:00.000Z');
    const voided = chargeItemSourceFromRow({ ...row, status: 'voided', credit: null, performerTaxonomy: null, performerName: null }, { actor: 'j.doe', reason: 'dup', at });
    expect(voided.void).toEqual({ by: 'j.doe', reason: 'dup', at: '2026-11-28T09:00:00.000Z' });
    expect(voided.performer).toBeUndefined();
    expect(chargeItemSourceFromRow(row, { actor: 'j.doe', reason: 'dup', at }).void).toBeUndefined();
  });
});
