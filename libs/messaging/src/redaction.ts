/**
 * What never appears in a log line: credentials (tokens, API keys, passwords, cookies) and patient
 * data (identifiers, names, birth dates, diagnoses, raw HL7). Applied by every service logger through
 * pino's redact (fast-redact), at the top level and up to two levels down, so a field keeps its place
 * in the JSON but shows "[redacted]". Code also avoids logging these; this is the net under it.
 */
const SECRET_FIELDS = ['authorization', 'cookie', 'x-api-key', 'apiKey', 'password', 'secret', 'client_secret', 'access_token', 'refresh_token', 'id_token', 'token'];
const PATIENT_FIELDS = ['patientId', 'patientName', 'patient', 'mrn', 'birthDate', 'dateOfBirth', 'diagnoses', 'address', 'raw', 'originalValue', 'originalValueBase64'];

const at = (field: string) => (/^[A-Za-z_$][\w$]*$/.test(field) ? `.${field}` : `["${field}"]`);

function pathsOf(field: string): string[] {
  return [at(field).replace(/^\./, ''), `*${at(field)}`, `*.*${at(field)}`];
}

export const REDACTED_PATHS: readonly string[] = [
  ...[...SECRET_FIELDS, ...PATIENT_FIELDS].flatMap(pathsOf),
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
];

export const REDACTION_CENSOR = '[redacted]';

/**
 * Prisma validation errors print the whole query, values included; a database error logged by a
 * service keeps its kind, code and first line only.
 */
export function sanitizeError(err: unknown): unknown {
  if (!(err instanceof Error)) return err;
  const name = err.name ?? '';
  if (!name.startsWith('PrismaClient') && !name.startsWith('DriverAdapter')) return err;
  const safe = new Error((err.message ?? '').split('\n').find((line) => line.trim().length > 0 && !line.includes('invocation')) ?? name);
  safe.name = name;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') (safe as Error & { code?: string }).code = code;
  return safe;
}
