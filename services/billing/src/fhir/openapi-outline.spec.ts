import { fhirOpenApiSchema, outlineSchema } from './openapi-outline';
import { ChargeItem } from './r4';

describe('outlineSchema', () => {
  const schema = {
    type: 'object',
    properties: {
      status: { type: 'string', enum: ['planned'], pattern: '^x$' },
      code: {
        type: 'object',
        properties: { coding: { type: 'array', items: { type: 'object', properties: { code: { type: 'string', pattern: '^y$' } } } } },
      },
      subject: { type: 'object', properties: { display: { type: 'string' } }, required: ['display'] },
      either: { anyOf: [{ type: 'object', properties: { a: { type: 'string' } } }, { type: 'string' }] },
    },
    required: ['status'],
  };

  it('cuts nested objects at the depth, keeping their required elements, and drops nested patterns', () => {
    expect(outlineSchema(schema, 1)).toEqual({
      type: 'object',
      properties: {
        status: { type: 'string', enum: ['planned'], pattern: '^x$' },
        code: { type: 'object' },
        subject: { type: 'object', required: ['display'] },
        either: { anyOf: [{ type: 'object' }, { type: 'string' }] },
      },
      required: ['status'],
    });
    expect(outlineSchema(schema, 2).properties).toMatchObject({
      code: { type: 'object', properties: { coding: { type: 'array', items: { type: 'object' } } } },
      subject: { type: 'object', properties: { display: { type: 'string' } }, required: ['display'] },
    });
  });

  it('the ChargeItem outline names every R4 element, the required ones and the status value set', () => {
    const outline = fhirOpenApiSchema(ChargeItem, 2, 'chargeitem.html');
    expect(outline['required']).toEqual(['resourceType', 'status', 'code', 'subject']);
    expect((outline['properties'] as Record<string, { enum?: string[] }>)['status']?.enum).toEqual([
      'planned',
      'billable',
      'not-billable',
      'aborted',
      'billed',
      'entered-in-error',
      'unknown',
    ]);
    expect(outline['externalDocs']).toEqual({ description: 'FHIR R4', url: 'https://hl7.org/fhir/R4/chargeitem.html' });
    expect(JSON.stringify(outline).length).toBeLessThan(15_000);
  });
});
