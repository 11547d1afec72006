import type { ComponentInput, FieldInput } from './encoding';

/**
 * The composite fields of a DFT^P03 (people, the patient, coded values), written as HL7 v2.5.1
 * defines their data types.
 */

/** A person or a laboratory on a charge (FT1-20 performed by, FT1-21 ordered by). */
export interface Hl7Person {
  /** US National Provider Identifier (10 digits): XCN.1 with assigning authority the NPI registry and type NPI. */
  npi?: string;
  /** Family name (or the laboratory's name), XCN.2. */
  family?: string;
  /** Given name, XCN.3. */
  given?: string;
}

/** The patient as the DFT^P03 names them (PID-3.4, PID-5, PID-7, PID-8). */
export interface DftPatient {
  familyName?: string;
  givenName?: string;
  /** YYYY-MM-DD. */
  birthDate?: string;
  /** HL7 table 0001: F, M, O, U, A, N. */
  administrativeSex?: string;
  /** PID-3.4 assigning authority of the patient id (namespace id). */
  identifierAuthority?: string;
}

/** OID of the NPI registry (CMS NPPES), the universal id of the NPI's assigning authority. */
export const NPI_OID = '2.16.840.1.113883.4.6';

/** HL7 table 0396 coding systems the DFT^P03 uses. */
export const CODING_SYSTEMS = { cpt: 'C4', hcpcs: 'HCPCS', icd10: 'I10' } as const;

/**
 * The coding system of a procedure code modifier (HL7 table 0396): a CPT modifier is two digits
 * (26, 52, 59, 91) and is CPT-4 (`C4`); an alphanumeric one (TC, GA, GY, GZ, Q1, SU, XE, XS, XP, XU,
 * RT, LT) is a HCPCS Level II modifier (`HCPCS`), as the FHIR ChargeItem codes them.
 */
export const modifierCodingSystem = (modifier: string): string => (/^\d{2}$/.test(modifier) ? CODING_SYSTEMS.cpt : CODING_SYSTEMS.hcpcs);

/** XCN: NPI^family^given^^^^^^&<NPI OID>&ISO^L^^^NPI, or ^family^given without an NPI. undefined when there is nothing to say. */
export function personXcn(person: Hl7Person | undefined): ComponentInput[] | (ComponentInput | ComponentInput[])[] | undefined {
  if (!person || (!person.npi && !person.family && !person.given)) return undefined;
  if (!person.npi) return [undefined, person.family, person.given];
  return [person.npi, person.family, person.given, undefined, undefined, undefined, undefined, undefined, [undefined, NPI_OID, 'ISO'], person.family ? 'L' : undefined, undefined, undefined, 'NPI'];
}

/** PID-3: id^^^authority^MR. */
export function patientIdentifier(patientId: string, authority: string | undefined): FieldInput {
  return [patientId, undefined, undefined, authority, 'MR'];
}

/** PID-5: family^given^^^^^L (legal name); undefined without a family name. */
export function patientName(patient: DftPatient | undefined): FieldInput {
  if (!patient?.familyName) return undefined;
  return [patient.familyName, patient.givenName, undefined, undefined, undefined, undefined, 'L'];
}

/** IN1-2 insurance plan id (CE): the plan as its identifier when it fits CE.1 (20 characters), else as its text. */
export function insurancePlan(plan: string | undefined): FieldInput {
  if (!plan) return undefined;
  return plan.length <= 20 ? [plan] : [undefined, plan];
}

/**
 * The ordering provider's name from the case's `orderingProvider` text, as the order intake stores it
 * ("<id> FAMILY, GIVEN", "FAMILY, GIVEN" or a single name): a leading token with a digit is the id
 * and is dropped (the NPI travels on its own).
 */
export function providerName(text: string | undefined): { family?: string; given?: string } {
  const value = text?.trim();
  if (!value) return {};
  const withoutId = /^\S*\d\S*\s+(.+)$/.exec(value)?.[1] ?? (/^\S*\d\S*$/.test(value) ? '' : value);
  if (!withoutId) return {};
  const comma = withoutId.indexOf(',');
  if (comma < 0) return { family: withoutId.trim() };
  const family = withoutId.slice(0, comma).trim();
  const given = withoutId.slice(comma + 1).trim();
  return { ...(family ? { family } : {}), ...(given ? { given } : {}) };
}
