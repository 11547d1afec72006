import { Writable } from 'node:stream';
import { createLogger } from './logger';

/** Runs `log` against a logger writing into memory; returns the lines it wrote. */
function linesOf(log: (logger: ReturnType<typeof createLogger>) => void): string[] {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  log(createLogger('test', 'debug', sink));
  return lines;
}

describe('log redaction', () => {
  it('never writes credentials: bearer tokens, API keys, cookies, passwords, client secrets', () => {
    const [line] = linesOf((logger) =>
      logger.info(
        {
          req: { method: 'GET', url: '/x', headers: { authorization: 'Bearer eyJhbGc.secret.sig', 'x-api-key': 'sck_abcdef_SECRET', cookie: 'sid=SECRET', 'user-agent': 'curl' } },
          config: { KAFKA: { password: 'SECRET' }, client_secret: 'SECRET' },
          apiKey: 'sck_abcdef_SECRET',
        },
        'request',
      ),
    );
    expect(line).not.toContain('SECRET');
    expect(line).not.toContain('eyJhbGc');
    const parsed = JSON.parse(line as string);
    expect(parsed.req.headers).toEqual({ authorization: '[redacted]', 'x-api-key': '[redacted]', cookie: '[redacted]', 'user-agent': 'curl' });
  });

  it('never writes patient data, at the top level or nested, whatever the message', () => {
    const lines = linesOf((logger) => {
      logger.warn({ patientId: 'MRN-4711', accessionNumber: 'S26-1' }, 'case refused');
      logger.error({ case: { patientId: 'MRN-4711', diagnoses: ['C50.911'], birthDate: '1950-01-02' } }, 'nested');
      logger.info({ message: { raw: 'MSH|^~\\\\&|LIS|...|PID|1||MRN-4711||DOE^JANE' } }, 'hl7');
      logger.child({ component: 'x' }).info({ deep: { er: { patientName: 'DOE^JANE' } } }, 'child');
    });
    for (const line of lines) {
      expect(line).not.toContain('MRN-4711');
      expect(line).not.toContain('C50.911');
      expect(line).not.toContain('DOE^JANE');
      expect(line).not.toContain('1950-01-02');
    }
    expect(JSON.parse(lines[0] as string)).toMatchObject({ patientId: '[redacted]', accessionNumber: 'S26-1' });
  });

  it('keeps only the kind and first line of a Prisma error (its message can print the query values)', () => {
    const err = new Error('\\nInvalid `prisma.case.create()` invocation:\\n{ data: { patientId: "MRN-4711" } }\\nArgument `x` is missing.');
    err.name = 'PrismaClientValidationError';
    const [line] = linesOf((logger) => logger.error({ err }, 'failed'));
    expect(line).not.toContain('MRN-4711');
    expect(JSON.parse(line as string).err).toMatchObject({ type: 'Error', message: expect.any(String) });
    const plain = new Error('connection refused');
    expect(JSON.parse(linesOf((logger) => logger.error({ err: plain }, 'x'))[0] as string).err.message).toBe('connection refused');
  });
});
