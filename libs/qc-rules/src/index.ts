export {
  DEFAULT_QC_RULES,
  evaluateScanQuality,
  formatScore,
  validateQcRuleSet,
} from './qc-rules';
export type {
  QcCheckResult,
  QcEvaluation,
  QcRuleName,
  QcRuleSet,
  QcRuleSetValidation,
  ScanImageMetrics,
} from './qc-rules';
