import {
  DEFAULT_QC_RULES,
  QcRuleName,
  QcRuleSet,
  ScanImageMetrics,
  evaluateScanQuality,
  formatScore,
  validateQcRuleSet,
} from './qc-rules';

const GOOD: ScanImageMetrics = {
  focusScore: 0.92,
  tissueCoverage: 0.4,
  fileSizeBytes: 1_500_000_000,
  barcodeRead: true,
  stitchingErrors: 0,
};

const STRICT: QcRuleSet = { ...DEFAULT_QC_RULES, missingMetric: 'fail' };

function check(metrics: ScanImageMetrics, rule: QcRuleName, rules: QcRuleSet = DEFAULT_QC_RULES) {
  const found = evaluateScanQuality(metrics, rules).checks.find((c) => c.rule === rule);
  if (!found) throw new Error(`no ${rule} check`);
  return found;
}

describe('DEFAULT_QC_RULES', () => {
  it('holds the agreed thresholds', () => {
    expect(DEFAULT_QC_RULES).toEqual({
      version: 'qc-2026.1',
      minFocusScore: 0.7,
      minTissueCoverage: 0.05,
      minFileSizeBytes: 1_000_000,
      maxFileSizeBytes: 20_000_000_000,
      requireBarcodeRead: true,
      maxStitchingErrors: 0,
      missingMetric: 'pass',
    });
  });

  it('is valid', () => {
    expect(validateQcRuleSet(DEFAULT_QC_RULES)).toEqual({ ok: true, rules: DEFAULT_QC_RULES });
  });
});

describe('evaluateScanQuality', () => {
  it('passes a good scan with one passing check per rule, in a fixed order', () => {
    const result = evaluateScanQuality(GOOD, DEFAULT_QC_RULES);
    expect(result.passed).toBe(true);
    expect(result.rulesVersion).toBe('qc-2026.1');
    expect(result.reasons).toEqual([]);
    expect(result.checks.map((c) => [c.rule, c.passed, c.value])).toEqual([
      ['focus', true, 0.92],
      ['tissue', true, 0.4],
      ['file-size', true, 1_500_000_000],
      ['barcode', true, true],
      ['stitching', true, 0],
    ]);
    expect(result.checks.every((c) => c.reason === undefined)).toBe(true);
  });

  // [rule, metrics override, expected failure reason or null when the check passes]
  it.each<[QcRuleName, ScanImageMetrics, string | null]>([
    ['focus', { focusScore: 0.42 }, 'focus score 0.42 below 0.70 (out of focus)'],
    ['focus', { focusScore: 0.699 }, 'focus score 0.699 below 0.70 (out of focus)'],
    ['focus', { focusScore: 0.7 }, null],
    ['focus', { focusScore: 1 }, null],
    ['focus', { focusScore: 1.2 }, 'focus score 1.2 is not a number between 0 and 1'],
    ['focus', { focusScore: Number.NaN }, 'focus score NaN is not a number between 0 and 1'],
    ['tissue', { tissueCoverage: 0.02 }, 'tissue coverage 0.02 below 0.05 (tissue missed or slide blank)'],
    ['tissue', { tissueCoverage: 0.05 }, null],
    ['tissue', { tissueCoverage: 0.049 }, 'tissue coverage 0.049 below 0.05 (tissue missed or slide blank)'],
    ['tissue', { tissueCoverage: -0.1 }, 'tissue coverage -0.1 is not a number between 0 and 1'],
    ['file-size', { fileSizeBytes: 999_999 }, 'file size 999999 bytes below 1000000 (image empty or truncated)'],
    ['file-size', { fileSizeBytes: 1_000_000 }, null],
    ['file-size', { fileSizeBytes: 20_000_000_000 }, null],
    ['file-size', { fileSizeBytes: 20_000_000_001 }, 'file size 20000000001 bytes above 20000000000 (image implausibly large)'],
    ['file-size', { fileSizeBytes: 1_234_567.5 }, 'file size 1234567.5 is not a whole number of bytes'],
    ['file-size', { fileSizeBytes: 0 }, 'file size 0 bytes below 1000000 (image empty or truncated)'],
    ['barcode', { barcodeRead: false }, 'barcode not read (label unreadable; slide cannot be matched)'],
    ['barcode', { barcodeRead: true }, null],
    ['stitching', { stitchingErrors: 0 }, null],
    ['stitching', { stitchingErrors: 2 }, 'stitching errors 2 above 0 (tiles misaligned)'],
    ['stitching', { stitchingErrors: -1 }, 'stitching errors -1 is not a whole number'],
  ])('%s with %p -> %p', (rule, over, reason) => {
    const passed = reason === null;
    const metrics = { ...GOOD, ...over };
    const result = evaluateScanQuality(metrics, DEFAULT_QC_RULES);
    const c = check(metrics, rule);
    expect(c.passed).toBe(passed);
    expect(result.passed).toBe(passed);
    if (passed) {
      expect(result.reasons).toEqual([]);
      expect(c.reason).toBeUndefined();
    } else {
      expect(c.reason).toBe(reason);
      expect(result.reasons).toEqual([reason]);
    }
  });

  it.each<[QcRuleName, string]>([
    ['focus', '>= 0.70'],
    ['tissue', '>= 0.05'],
    ['file-size', '1000000..20000000000 bytes'],
    ['barcode', 'barcode read'],
    ['stitching', '<= 0'],
  ])('states the %s threshold as %s', (rule, threshold) => {
    expect(check(GOOD, rule).threshold).toBe(threshold);
  });

  it('collects every failed reason, in check order', () => {
    const result = evaluateScanQuality(
      { focusScore: 0.3, tissueCoverage: 0.01, fileSizeBytes: 10, barcodeRead: false, stitchingErrors: 4 },
      DEFAULT_QC_RULES,
    );
    expect(result.passed).toBe(false);
    expect(result.checks.every((c) => !c.passed)).toBe(true);
    expect(result.reasons).toEqual([
      'focus score 0.30 below 0.70 (out of focus)',
      'tissue coverage 0.01 below 0.05 (tissue missed or slide blank)',
      'file size 10 bytes below 1000000 (image empty or truncated)',
      'barcode not read (label unreadable; slide cannot be matched)',
      'stitching errors 4 above 0 (tiles misaligned)',
    ]);
  });

  describe('missing metrics', () => {
    const rules: QcRuleName[] = ['focus', 'tissue', 'file-size', 'barcode', 'stitching'];

    it("pass when missingMetric is 'pass', with value null and a note", () => {
      const result = evaluateScanQuality({}, DEFAULT_QC_RULES);
      expect(result.passed).toBe(true);
      expect(result.reasons).toEqual([]);
      expect(result.checks.map((c) => c.rule)).toEqual(rules);
      for (const c of result.checks) {
        expect(c).toMatchObject({ passed: true, value: null });
        expect(c.reason).toContain('not reported');
      }
    });

    it("fail when missingMetric is 'fail', one reason each", () => {
      const result = evaluateScanQuality({}, STRICT);
      expect(result.passed).toBe(false);
      expect(result.checks.every((c) => !c.passed && c.value === null)).toBe(true);
      expect(result.reasons).toEqual([
        'focus score not reported (rule set qc-2026.1 fails missing metrics)',
        'tissue coverage not reported (rule set qc-2026.1 fails missing metrics)',
        'file size not reported (rule set qc-2026.1 fails missing metrics)',
        'barcode read not reported (rule set qc-2026.1 fails missing metrics)',
        'stitching errors not reported (rule set qc-2026.1 fails missing metrics)',
      ]);
    });

    it.each(rules)("a single missing %s fails only that check under 'fail'", (rule) => {
      const key: Record<QcRuleName, keyof ScanImageMetrics> = {
        focus: 'focusScore',
        tissue: 'tissueCoverage',
        'file-size': 'fileSizeBytes',
        barcode: 'barcodeRead',
        stitching: 'stitchingErrors',
      };
      const metrics: ScanImageMetrics = { ...GOOD };
      delete metrics[key[rule]];
      const strict = evaluateScanQuality(metrics, STRICT);
      expect(strict.checks.filter((c) => !c.passed).map((c) => c.rule)).toEqual([rule]);
      expect(evaluateScanQuality(metrics, DEFAULT_QC_RULES).passed).toBe(true);
    });

    it('treats null from parsed JSON as missing', () => {
      const metrics = JSON.parse('{"focusScore": null, "tissueCoverage": 0.3, "fileSizeBytes": 2000000, "barcodeRead": true, "stitchingErrors": 0}');
      expect(evaluateScanQuality(metrics, DEFAULT_QC_RULES).passed).toBe(true);
      expect(evaluateScanQuality(metrics, STRICT).reasons).toEqual([
        'focus score not reported (rule set qc-2026.1 fails missing metrics)',
      ]);
    });

    it("fails an invalid value even when missingMetric is 'pass'", () => {
      expect(evaluateScanQuality({ ...GOOD, focusScore: Number.POSITIVE_INFINITY }, DEFAULT_QC_RULES).passed).toBe(false);
    });
  });

  it('skips the barcode requirement when the rule set does not require it', () => {
    const rules = { ...DEFAULT_QC_RULES, requireBarcodeRead: false };
    expect(check({ ...GOOD, barcodeRead: false }, 'barcode', rules)).toEqual({
      rule: 'barcode',
      passed: true,
      value: false,
      threshold: 'not required',
    });
    expect(check({ ...GOOD, barcodeRead: undefined }, 'barcode', { ...rules, missingMetric: 'fail' }).passed).toBe(true);
  });

  it('follows the thresholds of the rule set it is given, and reports its version', () => {
    const rules: QcRuleSet = { ...DEFAULT_QC_RULES, version: 'qc-test', minFocusScore: 0.95, maxStitchingErrors: 3 };
    const result = evaluateScanQuality({ ...GOOD, stitchingErrors: 3 }, rules);
    expect(result.rulesVersion).toBe('qc-test');
    expect(result.reasons).toEqual(['focus score 0.92 below 0.95 (out of focus)']);
  });
});

describe('formatScore', () => {
  it.each([
    [0.42, '0.42'],
    [0.7, '0.70'],
    [1, '1.00'],
    [0.699, '0.699'],
    [0.05, '0.05'],
  ])('%p -> %s', (x, s) => {
    expect(formatScore(x)).toBe(s);
  });
});

describe('validateQcRuleSet', () => {
  const raw = (over: Record<string, unknown> = {}): Record<string, unknown> => ({ ...DEFAULT_QC_RULES, ...over });

  it('accepts a good rule set and returns a copy with only the known fields', () => {
    const input = raw({ version: 'qc-2026.2' });
    const result = validateQcRuleSet(input);
    expect(result).toEqual({ ok: true, rules: { ...DEFAULT_QC_RULES, version: 'qc-2026.2' } });
    if (result.ok) expect(result.rules).not.toBe(input);
  });

  it('accepts a rule set read from JSON', () => {
    expect(validateQcRuleSet(JSON.parse(JSON.stringify(DEFAULT_QC_RULES))).ok).toBe(true);
  });

  it.each<[string, unknown, string[]]>([
    ['not an object', 'qc', ['rule set must be an object, got "qc"']],
    ['null', null, ['rule set must be an object, got null']],
    ['an array', [], ['rule set must be an object, got an array']],
    ['empty version', raw({ version: '  ' }), ['version: must be a non-empty string, got "  "']],
    ['focus above 1', raw({ minFocusScore: 1.5 }), ['minFocusScore: must be a number between 0 and 1, got 1.5']],
    ['focus as string', raw({ minFocusScore: '0.7' }), ['minFocusScore: must be a number between 0 and 1, got "0.7"']],
    ['tissue negative', raw({ minTissueCoverage: -0.01 }), ['minTissueCoverage: must be a number between 0 and 1, got -0.01']],
    ['min size fractional', raw({ minFileSizeBytes: 10.5 }), ['minFileSizeBytes: must be a whole number >= 0, got 10.5']],
    ['max size below min', raw({ minFileSizeBytes: 5000, maxFileSizeBytes: 4000 }), ['maxFileSizeBytes: 4000 is below minFileSizeBytes 5000']],
    ['barcode flag as string', raw({ requireBarcodeRead: 'yes' }), ['requireBarcodeRead: must be true or false, got "yes"']],
    ['negative stitching', raw({ maxStitchingErrors: -1 }), ['maxStitchingErrors: must be a whole number >= 0, got -1']],
    ['bad missingMetric', raw({ missingMetric: 'ignore' }), ['missingMetric: must be "pass" or "fail", got "ignore"']],
    ['unknown field (a typo)', raw({ minFocusscore: 0.8 }), ['minFocusscore: unknown field']],
    ['missing field', (({ version: _v, ...rest }) => rest)(DEFAULT_QC_RULES), ['version: must be a non-empty string, got undefined']],
  ])('rejects %s', (_label, input, problems) => {
    expect(validateQcRuleSet(input)).toEqual({ ok: false, problems });
  });

  it('lists every problem at once', () => {
    const result = validateQcRuleSet({ version: 1, minFocusScore: 2 });
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.problems).toHaveLength(8);
      expect(result.problems[0]).toBe('version: must be a non-empty string, got 1');
    }
  });

  it('accepts boundary values', () => {
    const r = raw({ minFocusScore: 0, minTissueCoverage: 1, minFileSizeBytes: 0, maxFileSizeBytes: 0, maxStitchingErrors: 0 });
    expect(validateQcRuleSet(r).ok).toBe(true);
  });
});
