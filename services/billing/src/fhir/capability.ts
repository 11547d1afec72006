import { DEFAULT_COUNT, MAX_COUNT } from './search';

/**
 * GET /fhir/metadata: the R4 CapabilityStatement of the billing FHIR API, so that a FHIR client (or an
 * interface analyst) can see what is served and how the custom search parameters work.
 */
export const CAPABILITY_STATEMENT = Object.freeze({
  resourceType: 'CapabilityStatement',
  status: 'active',
  date: '2026-11-27',
  publisher: 'slidecharge',
  kind: 'instance',
  software: { name: 'slidecharge billing' },
  implementation: { description: 'Digitization add-on charges (0751T-0763T and successors) as R4 ChargeItems, read-only' },
  fhirVersion: '4.0.1',
  format: ['application/fhir+json', 'json'],
  rest: [
    {
      mode: 'server',
      documentation: 'Unknown search parameters are refused (400 OperationOutcome) unless the request says Prefer: handling=lenient.',
      resource: [
        {
          type: 'ChargeItem',
          interaction: [{ code: 'read' }, { code: 'search-type' }],
          versioning: 'no-version',
          readHistory: false,
          searchParam: [
            {
              name: 'accession',
              type: 'token',
              documentation:
                'Custom. The LIS accession number (filler order number): ChargeItem.supportingInformation.identifier where ' +
                'system = urn:slidecharge:accession. A value or urn:slidecharge:accession|value; comma = OR.',
            },
            {
              name: 'patient',
              type: 'reference',
              definition: 'http://hl7.org/fhir/SearchParameter/ChargeItem-patient',
              documentation:
                'The subject is referenced by its MRN identifier (system urn:slidecharge:mrn): use patient:identifier=[system|]MRN. ' +
                'No Patient resources are served, so patient=MRN and patient=Patient/MRN are taken as the MRN too.',
            },
            {
              name: 'date',
              type: 'date',
              documentation:
                'Custom, same as occurrence: the date of service (ChargeItem.occurrenceDateTime, a day). Prefixes eq ne gt lt ge le sa eb; ' +
                'YYYY, YYYY-MM or YYYY-MM-DD; repeat for a range: date=ge2026-01-01&date=le2026-12-31.',
            },
            { name: 'occurrence', type: 'date', definition: 'http://hl7.org/fhir/SearchParameter/ChargeItem-occurrence', documentation: 'As date.' },
            {
              name: 'status',
              type: 'token',
              documentation:
                'Custom (R4 defines no status search on ChargeItem): ChargeItem.status, one of planned | billable | not-billable | ' +
                'aborted | billed | entered-in-error | unknown (system http://hl7.org/fhir/chargeitem-status); comma = OR.',
            },
            { name: '_count', type: 'number', documentation: `Page size, 0-${MAX_COUNT} (default ${DEFAULT_COUNT}; 0: the total only). Follow Bundle.link next.` },
          ],
        },
      ],
    },
  ],
});
