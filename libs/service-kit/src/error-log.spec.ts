import { PrismaClientKnownRequestError, PrismaClientValidationError } from '@prisma/client/runtime/library';
import { DatabaseError } from 'pg';
import { describeErrorForLog } from './error-log';

const MRN = 'MRN-SECRET-0042';

describe('describeErrorForLog', () => {
  it('keeps a Prisma error code, model and target, and drops its message, which quotes the query arguments', () => {
    const error = new PrismaClientKnownRequestError(`\nInvalid \`prisma.case.create()\` invocation:\n\n{ data: { patientId: "${MRN}" } }\n\nUnique constraint failed`, {
      code: 'P2002',
      clientVersion: '6.19.2',
      meta: { modelName: 'Case', target: ['accession_number'] },
    });
    const logged = describeErrorForLog(error);
    expect(logged).toMatchObject({ type: 'PrismaClientKnownRequestError', code: 'P2002', modelName: 'Case', target: ['accession_number'] });
    expect(logged['stack']).toEqual(expect.arrayContaining([expect.stringMatching(/^at /)]));
    expect(JSON.stringify(logged)).not.toContain(MRN);
  });

  it('drops the message of a Prisma validation error too', () => {
    const logged = describeErrorForLog(new PrismaClientValidationError(`Argument patientId: "${MRN}\u0000"`, { clientVersion: '6.19.2' }));
    expect(logged['type']).toBe('PrismaClientValidationError');
    expect(JSON.stringify(logged)).not.toContain(MRN);
  });

  it("keeps the SQLSTATE and kind of a Prisma pg adapter error, not the original message", () => {
    const error = Object.assign(new Error('DriverAdapterError'), { name: 'DriverAdapterError' });
    Object.assign(error, { cause: { kind: 'postgres', originalCode: '23514', originalMessage: `new row violates check constraint: ${MRN}` } });
    const logged = describeErrorForLog(error);
    expect(logged).toMatchObject({ type: 'DriverAdapterError', code: '23514', kind: 'postgres' });
    expect(JSON.stringify(logged)).not.toContain(MRN);
  });

  it('keeps a Postgres error SQLSTATE and the names of the table and constraint, never its message or detail (the failing row)', () => {
    const error = new DatabaseError(`invalid input value: "${MRN}"`, 120, 'error');
    Object.assign(error, { code: '23514', severity: 'ERROR', schema: 'accession', table: 'case', constraint: 'case_check', detail: `Failing row contains (${MRN}).` });
    const logged = describeErrorForLog(error);
    expect(logged).toMatchObject({ code: '23514', severity: 'ERROR', schema: 'accession', table: 'case', constraint: 'case_check' });
    expect(JSON.stringify(logged)).not.toContain(MRN);
  });

  it('drops the message of a SyntaxError (JSON.parse quotes its input) and keeps the first line of other errors', () => {
    let syntax: unknown;
    try {
      JSON.parse(`{"patientId": ${MRN}}`);
    } catch (e) {
      syntax = e;
    }
    expect(JSON.stringify(describeErrorForLog(syntax))).not.toContain(MRN);
    expect(describeErrorForLog(new TypeError('\nCannot read properties of undefined\nsecond line'))).toMatchObject({ type: 'TypeError', message: 'Cannot read properties of undefined' });
  });

  it('names what was thrown when it is not an Error', () => {
    expect(describeErrorForLog(MRN)).toEqual({ type: 'string' });
    expect(describeErrorForLog(null)).toEqual({ type: 'null' });
  });
});
