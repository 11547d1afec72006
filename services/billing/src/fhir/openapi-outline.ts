import { openApiSchema } from '@slidecharge/service-kit';
import type { z } from 'zod';

type JsonSchema = Record<string, unknown>;

/**
 * The OpenAPI schema of a FHIR zod schema, cut at `depth` levels of nested objects (a deeper object is
 * `{type: object}` with its required elements; patterns of primitives only on the resource's own elements). The full R4 schemas repeat every Reference, Identifier
 * and Coding inline (hundreds of kB in the OpenAPI document); an API reader needs the outline, and the
 * R4 page for the data types.
 */
export function outlineSchema(schema: JsonSchema, depth: number): JsonSchema {
  const cut = (whole: JsonSchema, level: number): JsonSchema => {
    // Primitive patterns only on the elements of the resource itself.
    const node = level > 1 ? Object.fromEntries(Object.entries(whole).filter(([key]) => key !== 'pattern')) : whole;
    const properties = node['properties'] as Record<string, JsonSchema> | undefined;
    if (properties) {
      if (level >= depth) return { type: 'object', ...(node['required'] ? { required: node['required'] } : {}) };
      return { ...node, properties: Object.fromEntries(Object.entries(properties).map(([name, child]) => [name, cut(child, level + 1)])) };
    }
    const items = node['items'] as JsonSchema | undefined;
    if (items) return { ...node, items: cut(items, level) };
    const anyOf = node['anyOf'] as JsonSchema[] | undefined;
    if (anyOf) return { ...node, anyOf: anyOf.map((n) => cut(n, level)) };
    return node;
  };
  return cut(schema, 0);
}

/** openApiSchema(schema, 'output') with a link to the R4 page, cut at `depth`. */
export function fhirOpenApiSchema(schema: z.ZodType, depth: number, page: string): JsonSchema {
  return { ...outlineSchema(openApiSchema(schema, 'output'), depth), externalDocs: { description: 'FHIR R4', url: `https://hl7.org/fhir/R4/${page}` } };
}
