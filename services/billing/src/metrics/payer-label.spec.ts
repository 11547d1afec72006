import { OTHER_PAYERS, PayerLabels } from './payer-label';

describe('PayerLabels', () => {
  it('keeps the first payers seen by name and counts every later one as other', () => {
    const labels = new PayerLabels(2);
    expect([labels.labelOf('MEDICARE'), labels.labelOf('AETNA'), labels.labelOf('CIGNA'), labels.labelOf('MEDICARE'), labels.labelOf('CIGNA')]).toEqual([
      'MEDICARE',
      'AETNA',
      OTHER_PAYERS,
      'MEDICARE',
      OTHER_PAYERS,
    ]);
  });
});
