/**
 * Opaque page cursor of GET /charges: the (createdAt, chargeId) of the last charge of a page,
 * base64url-encoded. Charges are listed in (createdAt, chargeId) order.
 */
export interface ChargeCursor {
  createdAt: string;
  chargeId: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function encodeCursor(cursor: ChargeCursor): string {
  return Buffer.from(JSON.stringify([cursor.createdAt, cursor.chargeId]), 'utf8').toString('base64url');
}

/** The cursor, or undefined when the text is not one this service wrote. */
export function decodeCursor(text: string): ChargeCursor | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(text)) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (!Array.isArray(value) || value.length !== 2) return undefined;
  const [createdAt, chargeId] = value as unknown[];
  if (typeof createdAt !== 'string' || Number.isNaN(Date.parse(createdAt)) || typeof chargeId !== 'string' || !UUID.test(chargeId)) {
    return undefined;
  }
  return { createdAt: new Date(createdAt).toISOString(), chargeId: chargeId.toLowerCase() };
}

/**
 * Opaque page cursor of GET /unmatched-scans: the (receivedAt, scanId) of the last scan of a page,
 * base64url-encoded. Scans are listed newest first, in (receivedAt desc, scanId desc) order.
 */
export interface ScanCursor {
  receivedAt: string;
  scanId: string;
}

export function encodeScanCursor(cursor: ScanCursor): string {
  return Buffer.from(JSON.stringify(['scan', cursor.receivedAt, cursor.scanId]), 'utf8').toString('base64url');
}

/** The scan cursor, or undefined when the text is not one this service wrote. */
export function decodeScanCursor(text: string): ScanCursor | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(text)) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (!Array.isArray(value) || value.length !== 3 || value[0] !== 'scan') return undefined;
  const [, receivedAt, scanId] = value as unknown[];
  if (typeof receivedAt !== 'string' || Number.isNaN(Date.parse(receivedAt)) || typeof scanId !== 'string' || scanId.length === 0 || scanId.length > 128) {
    return undefined;
  }
  return { receivedAt: new Date(receivedAt).toISOString(), scanId };
}
