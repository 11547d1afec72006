import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { ConfigError } from './config';

/** A PEM file named by a configuration variable, read at start; an unreadable one stops the start naming the variable. */
export function readPemFile(variable: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new ConfigError([`${variable} cannot be read (${path}): ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`]);
  }
}

/**
 * Builds a TLS context from the PEM contents once, so a key that does not match its certificate or
 * a CA that is not one stops the start, naming the variables, instead of failing the first handshake.
 */
export function checkTlsMaterial(variables: readonly string[], material: { ca?: Buffer; cert?: Buffer; key?: Buffer }): void {
  try {
    createSecureContext({ ...(material.ca ? { ca: material.ca } : {}), ...(material.cert ? { cert: material.cert } : {}), ...(material.key ? { key: material.key } : {}) });
  } catch (e) {
    throw new ConfigError([`${variables.join(' / ')} cannot be used: ${(e as Error).message}`]);
  }
}
