export {
  DIGITIZATION_ADD_ON_CODES,
  findAddOnCode,
  isInForce,
  validateAddOnCodeTable,
} from './add-on-codes';
export type { AddOnCodeRow, AddOnCodeTableProblem, AddOnCodeTableProblemKind } from './add-on-codes';
export {
  DEFAULT_DIGITIZATION_POLICY,
  chargeKeyFor,
  decideDigitizationCharges,
  explainNoCharge,
} from './digitization-charge';
export type {
  BillingCaseFacts,
  BillingSlide,
  BillingSpecimen,
  CaseStatus,
  ChargeDecision,
  DecidedChargeField,
  DigitizationChargeInput,
  DigitizationPolicy,
  NoChargeExplanation,
  NoChargeReason,
  QcFacts,
  ScanFacts,
  ScanPurpose,
  ScanStatus,
  TraceLine,
} from './digitization-charge';
export { compareStrings, isIsoDate } from './dates';
export { ARCHIVED_AFTER_DAYS, DATE_OF_SERVICE_SOURCE, calendarDaysBetween, decideDateOfService } from './date-of-service';
export type { DateOfServiceBasis, DateOfServiceInput, DateOfServiceOutcome, DateOfServiceProblem } from './date-of-service';
export {
  DEFAULT_POLICY_SET,
  PAYER_MODIFIERS,
  addOnCodeTableFor,
  decidePayerOutcome,
  findPayerPolicy,
  requiresDigitalSignOut,
  validatePolicySet,
} from './payer-policy';
export type {
  AddOnCodeChanges,
  AddOnCodeRetirement,
  PayerCodeRule,
  PayerDecision,
  PayerModifier,
  PayerOutcome,
  PayerOutcomeKind,
  PayerPolicy,
  PayerResolution,
  PerformerTaxonomy,
  PolicySet,
  UnitLimit,
} from './payer-policy';
export { MODIFIERS, checkModifier, findModifier } from './modifiers';
export type { ModifierCheck, ModifierContext, ModifierDefinition } from './modifiers';
export { evaluateCharges } from './rules-engine';
export type {
  CaseFlags,
  ChargeCredit,
  ChargeHold,
  ChargeStatus,
  ChargeVoid,
  EngineCase,
  EngineCharge,
  EngineSpecimen,
  EvaluateChargesInput,
  EvaluateChargesResult,
  ExistingCharge,
  ExistingChargeState,
  HoldReason,
  ReversalReason,
} from './rules-engine';
export { estimateCents, parseFeeSchedule, unitPriceCents } from './fee-schedule';
export type { FeeSchedule, FeeScheduleEntry, FeeScheduleParse } from './fee-schedule';
