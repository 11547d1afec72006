import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderAccessMatrix } from './access-matrix';

describe('the authorization matrix in docs/security.md', () => {
  it('is the table ACCESS_MATRIX renders (npm run docs:api writes it)', () => {
    const page = readFileSync(join(__dirname, '../../../../docs/security.md'), 'utf8');
    const shown = /<!-- access-matrix:start -->\n([\s\S]*?)\n<!-- access-matrix:end -->/.exec(page)?.[1];
    expect(shown).toBe(renderAccessMatrix());
  });
});
