/**
 * The HL7 v2.5.1 definitions slidecharge checks messages against, from the hl7-dictionary package
 * (segments with their fields' data type, optionality, length and repetitions; data types with their
 * components; message structures; HL7 tables). Only the 2.5.1 definitions and the tables are loaded.
 */

/** One field of a segment, or one component of a data type. opt: 1 optional, 2 required, 3 conditional. rep: 1 once, 0 unlimited, n at most n. */
export interface DictionaryField {
  datatype: string;
  desc: string;
  opt: number;
  rep: number;
  len?: number;
  table?: number;
}

/** A segment, or a group of segments, in a message structure. max 0 = unlimited. */
export interface StructureNode {
  name: string;
  desc?: string;
  min: number;
  max: number;
  children?: StructureNode[];
}

interface VersionDefinitions {
  segments: Record<string, { desc: string; fields: DictionaryField[] } | undefined>;
  fields: Record<string, { desc: string; subfields: DictionaryField[] } | undefined>;
  messages: Record<string, { name: string; segments: { segments: StructureNode[] } } | undefined>;
}

type Tables = Record<string, { desc: string; values: Record<string, string> } | undefined>;

const V251 = require('hl7-dictionary/lib/2.5.1/index.js') as VersionDefinitions;
const TABLES = require('hl7-dictionary/lib/tables.js') as Tables;

/** The fields of a v2.5.1 segment (index 0 = field 1; for MSH index 0 is MSH-1), or undefined for a segment v2.5.1 does not define. */
export function segmentFields(name: string): DictionaryField[] | undefined {
  return V251.segments[name]?.fields;
}

/** The components of a v2.5.1 composite data type, or undefined for a primitive one (ST, ID, NM...). */
export function dataTypeComponents(datatype: string): DictionaryField[] | undefined {
  const parts = V251.fields[datatype]?.subfields;
  return parts && parts.length > 0 ? parts : undefined;
}

/** The segment structure of a v2.5.1 message structure (e.g. DFT_P03), or undefined. */
export function messageStructure(name: string): StructureNode[] | undefined {
  return V251.messages[name]?.segments.segments;
}

/** The values of an HL7 table (e.g. 396 coding systems), or undefined when the dictionary has none. */
export function tableValues(table: number): Record<string, string> | undefined {
  return TABLES[String(table)]?.values;
}
