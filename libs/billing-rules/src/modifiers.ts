/**
 * CPT/HCPCS modifiers as data, with their real CMS meanings (DOMAIN.md "Modifiers"; the seed's
 * table gets several wrong), and a check that accepts a modifier where it applies and refuses it
 * with a reason where it does not.
 */

export interface ModifierDefinition {
  modifier: string;
  meaning: string;
  /** What the seed's table said, when it was wrong. */
  seedSaid?: string;
  source: string;
}

export const MODIFIERS: readonly ModifierDefinition[] = Object.freeze([
  { modifier: '26', meaning: 'Professional component', source: 'CPT Appendix A' },
  { modifier: 'TC', meaning: 'Technical component', source: 'CMS HCPCS Level II' },
  { modifier: '51', meaning: 'Multiple procedures (add-on codes are exempt)', source: 'CPT Appendix A, Appendix D' },
  { modifier: '52', meaning: 'Reduced services', source: 'CPT Appendix A' },
  { modifier: '53', meaning: 'Discontinued procedure', source: 'CPT Appendix A' },
  { modifier: '59', meaning: 'Distinct procedural service (NCCI pair edits)', source: 'CPT Appendix A; NCCI' },
  { modifier: 'XE', meaning: 'Separate encounter', source: 'CMS MLN (X{EPSU})' },
  { modifier: 'XP', meaning: 'Separate practitioner', source: 'CMS MLN (X{EPSU})' },
  { modifier: 'XS', meaning: 'Separate structure/organ', source: 'CMS MLN (X{EPSU})' },
  { modifier: 'XU', meaning: 'Unusual non-overlapping service', source: 'CMS MLN (X{EPSU})' },
  {
    modifier: '91',
    meaning: 'Repeat clinical diagnostic laboratory test for medical necessity; not for reruns due to specimen or equipment problems',
    source: 'CPT Appendix A',
  },
  {
    modifier: 'Q1',
    meaning: 'Routine clinical service provided in a clinical research study that is in an approved clinical research study',
    seedSaid: 'temporary government payer',
    source: 'CMS HCPCS Level II',
  },
  { modifier: 'RT', meaning: 'Right side of the body', source: 'CMS HCPCS Level II' },
  { modifier: 'LT', meaning: 'Left side of the body', source: 'CMS HCPCS Level II' },
  {
    modifier: 'SU',
    meaning: "Procedure performed in physician's office (to denote use of facility and equipment)",
    seedSaid: 'separate facility identifier',
    source: 'CMS HCPCS Level II',
  },
  { modifier: 'GA', meaning: 'Waiver of liability statement (ABN) issued as required by payer policy', source: 'CMS Claims Processing Manual ch. 30' },
  { modifier: 'GY', meaning: 'Item or service statutorily excluded or not a benefit (non-covered)', source: 'CMS Claims Processing Manual ch. 30' },
  { modifier: 'GZ', meaning: 'Item or service expected to be denied as not reasonable and necessary; no ABN on file', source: 'CMS Claims Processing Manual ch. 30' },
] as ModifierDefinition[]);

export interface ModifierContext {
  /** The code the modifier would be reported with. */
  code: string;
  /** True for add-on codes (the digitization family 0751T-0763T, 0827T-0856T). */
  isAddOn: boolean;
  /** True when the service is technical work only (digitization). */
  technicalOnly?: boolean;
  /** True when the unit comes from a rescan (an earlier scan of the slide failed QC or the scanner). */
  isRescan?: boolean;
  /** The case is a routine service in an approved clinical research study. */
  researchStudy?: boolean;
  /** The code is reported for a surgical pathology specimen (883xx and their add-ons). */
  surgicalPathology?: boolean;
  /** The service was performed in a physician's office. */
  physicianOffice?: boolean;
  /** An ABN (advance beneficiary notice) is on file. */
  abnOnFile?: boolean;
  /** The physician documented a reduced service. */
  reducedService?: boolean;
  /** The procedure was started and discontinued (a discontinued scan earns no unit). */
  discontinued?: boolean;
}

export type ModifierCheck =
  | { accepted: true; modifier: string; meaning: string }
  | { accepted: false; modifier: string; reason: string };

export function findModifier(modifier: string): ModifierDefinition | undefined {
  const m = modifier.trim().toUpperCase();
  return MODIFIERS.find((d) => d.modifier === m);
}

/** Accepts `modifier` where it applies to `context`, otherwise refuses it and says why. */
export function checkModifier(modifier: string, context: ModifierContext): ModifierCheck {
  const def = findModifier(modifier);
  const m = modifier.trim().toUpperCase();
  if (!def) return { accepted: false, modifier: m, reason: `${m} is not a modifier this system knows (${MODIFIERS.map((d) => d.modifier).join(', ')})` };
  const refuse = (reason: string): ModifierCheck => ({ accepted: false, modifier: m, reason: `${m} (${def.meaning}): ${reason}` });
  const ok: ModifierCheck = { accepted: true, modifier: m, meaning: def.meaning };
  const code = context.code;
  switch (m) {
    case '26':
      return context.technicalOnly ? refuse(`${code} is technical work (digitization), it has no professional component`) : ok;
    case 'TC':
      return ok;
    case '51':
      return context.isAddOn ? refuse(`${code} is an add-on code, and add-on codes are exempt from modifier 51`) : ok;
    case '52':
      return context.reducedService ? ok : refuse('no reduced service is documented for this case');
    case '53':
      if (context.isAddOn) return refuse(`a discontinued digitization earns no unit of ${code}, so there is no charge to carry 53`);
      return context.discontinued ? ok : refuse('the procedure is not reported as discontinued');
    case '59':
    case 'XE':
    case 'XP':
    case 'XS':
    case 'XU':
      return context.isAddOn
        ? refuse(`distinct-service modifiers answer NCCI pair edits on primary codes; ${code} is an add-on whose units follow its primary`)
        : ok;
    case '91':
      if (context.isRescan) return refuse('a rescan after a QC or equipment problem is never a repeat test');
      if (context.isAddOn) return refuse(`the units of add-on ${code} follow its primary code; a repeated digitization is a rescan, not a second unit`);
      return ok;
    case 'Q1':
      return context.researchStudy ? ok : refuse('the case is not flagged as part of an approved clinical research study');
    case 'RT':
    case 'LT':
      return context.surgicalPathology ? refuse('body-side modifiers are not used for surgical pathology specimens') : ok;
    case 'SU':
      return context.physicianOffice ? ok : refuse("the service was not performed in a physician's office");
    case 'GA':
      return context.abnOnFile ? ok : refuse('no ABN is on file for this case');
    case 'GZ':
      return context.abnOnFile ? refuse('an ABN is on file, so GA applies, not GZ') : ok;
    case 'GY':
      return ok;
    default:
      return refuse('no rule for this modifier');
  }
}
