import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ACCESS_MATRIX, renderAccessMatrix } from './access-matrix';

describe('the authorization matrix in docs/security.md', () => {
  it('is the table ACCESS_MATRIX renders (npm run docs:api writes it)', () => {
    const page = readFileSync(join(__dirname, '../../../../docs/security.md'), 'utf8');
    const shown = /<!-- access-matrix:start -->\n([\s\S]*?)\n<!-- access-matrix:end -->/.exec(page)?.[1];
    expect(shown).toBe(renderAccessMatrix());
  });
});

describe('the dead-letter routes', () => {
  const routes = ['GET /dead-letters', 'GET /dead-letters/:id', 'POST /dead-letters/:id/replay'] as const;

  it.each(['scanner-events', 'qc', 'billing'] as const)('are in the matrix of %s, which consumes: people read and replay, only the list for ops viewers', (service) => {
    expect(routes.map((r) => ACCESS_MATRIX[service][r])).toEqual([
      { who: 'signed-in', roles: ['ops-viewer', 'integration-admin', 'billing-admin'] },
      { who: 'signed-in', roles: ['integration-admin', 'billing-admin'], patientData: true },
      { who: 'signed-in', roles: ['integration-admin', 'billing-admin'] },
    ]);
  });

  it('are not in the matrix of accession, which consumes nothing', () => {
    expect(routes.filter((r) => ACCESS_MATRIX.accession[r] !== undefined)).toEqual([]);
  });
});
