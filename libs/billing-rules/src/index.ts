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
export { isIsoDate } from './dates';
