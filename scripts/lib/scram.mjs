// SCRAM-SHA-256 password verifiers as Postgres stores them (pg_authid.rolpassword), computed here so
// that `ALTER ROLE ... PASSWORD` sends the verifier and never the password itself: it cannot end up in
// the server's statement log or pg_stat_statements. Format (RFC 5803, Postgres's scram-common.c):
//   SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>   (base64)
// Passwords are printable ASCII (service-roles.mjs), for which SASLprep changes nothing.
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';

const hmac = (key, text) => createHmac('sha256', key).update(text).digest();

function keys(password, salt, iterations) {
  const salted = pbkdf2Sync(password, salt, iterations, 32, 'sha256');
  return {
    storedKey: createHash('sha256').update(hmac(salted, 'Client Key')).digest(),
    serverKey: hmac(salted, 'Server Key'),
  };
}

export function scramVerifier(password, salt = randomBytes(16), iterations = 4096) {
  const { storedKey, serverKey } = keys(password, salt, iterations);
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}

/** Whether a stored verifier is the one of this password (false for none, md5 or anything else). */
export function verifierMatches(stored, password) {
  const match = /^SCRAM-SHA-256\$(\d+):([^$]+)\$([^:]+):(.+)$/.exec(stored ?? '');
  if (!match) return false;
  const [, iterations, salt] = match;
  return scramVerifier(password, Buffer.from(salt, 'base64'), Number(iterations)) === stored;
}
