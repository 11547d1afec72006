import { describeV251Issues, validateV251, type V251Issue } from './v251-validator';

/** A DFT^P03 that a strict v2.5.1 receiver accepts; the tests change one thing at a time. */
const GOOD = [
  'MSH|^~\\&|SLIDECHARGE|PATHLAB|BILLSYS|MAIN|20261127101404+0000||DFT^P03^DFT_P03|SCG3CZ55DHNSCNWDKVCZ|P|2.5.1',
  'EVN||20261127101404+0000',
  'PID|1||MRN-0042^^^UNIVHOSP^MR||DOE^JANE^^^^^L||19610704|F',
  'PV1|1|O',
  'FT1|1|1041||20261120|20261127101404+0000|CG|0753T|||1|||||||||C50.911^^I10||1548302744^WELBY^MARCUS^^^^^^&2.16.840.1.113883.4.6&ISO^L^^^NPI||S26-000123||0753T^^C4|TC^^HCPCS',
  'NTE|1|L|chargeId 45fcc75c-0923-5a99-94fc-fdececd1030e',
  'PR1|1||0753T^^C4||20261120||||||||||||||1041^SLIDECHARGE|A',
  'DG1|1||C50.911^^I10|||F',
  'IN1|1|AETNA-PPO|AETNA|Aetna',
];
const message = (lines: string[]) => lines.join('\r');
const replace = (segment: string, line: string) => message(GOOD.map((l) => (l.startsWith(`${segment}|`) ? line : l)));
const rules = (issues: V251Issue[]) => issues.map((i) => [i.rule, i.segment, i.field, i.component, i.subcomponent].filter((x) => x !== undefined).join(':'));

describe('validateV251: a DFT^P03 a strict v2.5.1 receiver accepts', () => {
  it('the good message passes', () => {
    expect(validateV251(message(GOOD))).toEqual([]);
  });

  it('several FT1 groups and diagnoses, no PV1, IN1 last: still the DFT_P03 structure', () => {
    const lines = GOOD.filter((l) => !l.startsWith('PV1|'));
    const ft1Group = lines.slice(3, 6);
    expect(validateV251(message([...lines.slice(0, 6), ...ft1Group, ...lines.slice(6)]))).toEqual([]);
  });
});

describe('validateV251: what it refuses', () => {
  it('segment order: DG1 before FT1, IN1 before DG1, a missing FT1, an unknown segment', () => {
    const dg1First = message([...GOOD.slice(0, 4), GOOD[7] as string, ...GOOD.slice(4, 7), GOOD[8] as string]);
    expect(validateV251(dg1First)).toEqual([{ rule: 'structure', message: 'segment DG1 (segment 5 of the message) is not allowed there by the DFT_P03 structure' }]);
    const in1First = message([...GOOD.slice(0, 7), GOOD[8] as string, GOOD[7] as string]);
    expect(rules(validateV251(in1First))).toEqual(['structure']);
    expect(validateV251(message([...GOOD.slice(0, 4), ...GOOD.slice(7)]))[0]?.message).toBe('segment DG1 (segment 5 of the message) is not allowed there by the DFT_P03 structure');
    expect(validateV251(message(GOOD.slice(0, 4)))[0]?.message).toBe('the message ends before the DFT_P03 structure is complete: FT1 required');
    expect(rules(validateV251(message([...GOOD, 'ZZ1|1'])))).toEqual(['structure', 'segment:ZZ1']);
  });

  it('required fields: PID-5, IN1-2, FT1-4 empty; a required component (CX.1) empty in a valued field', () => {
    expect(rules(validateV251(replace('PID', 'PID|1||MRN-0042^^^^MR')))).toEqual(['required:PID:5']);
    expect(rules(validateV251(replace('IN1', 'IN1|1||AETNA|Aetna')))).toEqual(['required:IN1:2']);
    expect(rules(validateV251(replace('FT1', GOOD[4]?.replace('|20261120|', '||') as string)))).toEqual(['required:FT1:4']);
    expect(rules(validateV251(replace('PID', 'PID|1||^^^UNIVHOSP^MR||DOE^JANE')))).toEqual(['required:PID:3:1']);
  });

  it('lengths: FT1-2 of a 36-character UUID, DG1-2 (and the B rule), a component (CX.1 over 15), a subcomponent (FN.1 over 50)', () => {
    const uuid = GOOD[4]?.replace('|1041|', '|45fcc75c-0923-5a99-94fc-fdececd1030e|') as string;
    expect(validateV251(replace('FT1', uuid))).toEqual([
      { rule: 'length', segment: 'FT1', sequence: 1, field: 2, message: 'FT1-2 Transaction ID is 36 characters long; v2.5.1 allows 12' },
    ]);
    expect(rules(validateV251(replace('DG1', 'DG1|1|I10|C50.911^^I10|||F')))).toEqual(['backward-compatible:DG1:2', 'length:DG1:2']);
    expect(rules(validateV251(replace('PID', `PID|1||${'M'.repeat(16)}^^^UNIVHOSP^MR||DOE^JANE`)))).toEqual(['length:PID:3:1']);
    expect(rules(validateV251(replace('PID', `PID|1||MRN-0042^^^UNIVHOSP^MR||${'D'.repeat(51)}^JANE`)))).toEqual(['length:PID:5:1:1']);
  });

  it('repetitions: FT1-25 (not repeating) twice; FT1-26 (repeating) twice is fine', () => {
    const twice = GOOD[4]?.replace('|0753T^^C4|', '|0753T^^C4~0754T^^C4|') as string;
    expect(rules(validateV251(replace('FT1', twice)))).toEqual(['repetition:FT1:25']);
    expect(validateV251(replace('FT1', GOOD[4]?.replace('|TC^^HCPCS', '|TC^^HCPCS~GY^^HCPCS') as string))).toEqual([]);
  });

  it('backward-compatible fields: EVN-1, FT1-8; HL7 table values: a coding system not in table 0396, a transaction type of table 0017 is user-defined (not checked)', () => {
    expect(rules(validateV251(replace('EVN', 'EVN|P03|20261127101404+0000')))).toEqual(['backward-compatible:EVN:1']);
    expect(rules(validateV251(replace('FT1', GOOD[4]?.replace('|0753T|||1|', '|0753T|Digitization||1|') as string)))).toEqual(['backward-compatible:FT1:8']);
    expect(rules(validateV251(replace('DG1', 'DG1|1||C50.911^^ICD10CM|||F')))).toEqual(['table:DG1:3:3']);
  });

  it('formats: a quantity that is no number (NM), a date of service that is no date (DR.1 TS.1 DTM), a set id that is no number (SI)', () => {
    expect(rules(validateV251(replace('FT1', GOOD[4]?.replace('|CG|0753T|||1|', '|CG|0753T|||one|') as string)))).toEqual(['format:FT1:10']);
    expect(rules(validateV251(replace('FT1', GOOD[4]?.replace('|20261120|', '|2026-11-20|') as string)))).toEqual(['format:FT1:4:1:1']);
    expect(rules(validateV251(replace('DG1', 'DG1|A||C50.911^^I10|||F')))).toEqual(['format:DG1:1']);
    expect(validateV251(replace('FT1', GOOD[4]?.replace('|20261127101404+0000|', '|20261127101404.123-0500|') as string))).toEqual([]);
  });

  it('more fields than the segment has, another version, a text that is no HL7 message', () => {
    expect(rules(validateV251(replace('PV1', `PV1|1|O${'|'.repeat(60)}x`)))).toEqual(['segment:PV1']);
    expect(rules(validateV251(message(GOOD).replace('|P|2.5.1', '|P|2.3')))).toEqual(['version:MSH:12']);
    expect(rules(validateV251('hello'))).toEqual(['parse']);
  });

  it('describeV251Issues: one line for a delivery\'s reason', () => {
    expect(describeV251Issues(validateV251(replace('PID', 'PID|1||MRN-0042^^^^MR')))).toBe('required: PID-5 Patient Name is required and empty');
  });
});
