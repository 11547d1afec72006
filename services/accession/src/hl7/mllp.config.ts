import { z } from 'zod';
import { portVariable } from '@slidecharge/service-kit';

/** An empty variable counts as unset (compose files and shells often export VAR=). */
export const unsetWhenEmpty = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (typeof v === 'string' && v.trim() === '' ? undefined : v), schema);

const whole = (min: number, max: number, defaultValue: number) =>
  unsetWhenEmpty(z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(min).max(max).default(defaultValue));

const filePath = () => unsetWhenEmpty(z.string().trim().min(1).optional());

export const CLIENT_AUTH_MODES = ['none', 'request', 'require'] as const;
export type ClientAuthMode = (typeof CLIENT_AUTH_MODES)[number];

/**
 * The MLLP listener's variables (HL7 v2 orders from the LIS), merged into accessionConfigSchema.
 * Cross-variable rules are in checkMllpConfig.
 */
export const HL7_ORDER_MERGE_MODES = ['specimen', 'case'] as const;
export type Hl7OrderMergeMode = (typeof HL7_ORDER_MERGE_MODES)[number];

export const mllpConfigShape = {
  /**
   * How an HL7 order changes its case. specimen (default): each ORC/OBR group (ORC-1 NW, XO, CA)
   * adds, changes or cancels its own specimens and the case keeps the others (LIS systems that send
   * one order per specimen). case: every order describes the whole case and replaces it (LIS
   * systems that always send the whole case; a cancel cancels the case).
   */
  ACCESSION_HL7_ORDER_MERGE: unsetWhenEmpty(z.enum(HL7_ORDER_MERGE_MODES, { error: 'must be specimen or case' }).default('specimen')),
  /**
   * For LIS systems without SAC (v2.3): the field of a specimen's OBR (or SPM) whose repetitions are
   * its slide barcodes, as SEG-n or SEG-n.c (e.g. OBR-21). Unset: slides come from SAC and slide SPMs only.
   */
  ACCESSION_HL7_SLIDE_BARCODE_FIELD: unsetWhenEmpty(
    z
      .string()
      .trim()
      .regex(/^(OBR|SPM)-\d{1,3}(\.\d{1,2})?$/, 'must be OBR-n, SPM-n, OBR-n.c or SPM-n.c, e.g. OBR-21')
      .optional(),
  ),
  /**
   * The field of a specimen's OBR (or SPM) that holds the date it was obtained from storage (an
   * archived specimen, 42 CFR 414.510(b)(2)(ii)), DT or DTM, as SEG-n or SEG-n.c (e.g. SPM-18 or
   * OBR-14, whichever the LIS agrees to fill). Unset: HL7 orders carry no retrieval date.
   */
  ACCESSION_HL7_RETRIEVAL_DATE_FIELD: unsetWhenEmpty(
    z
      .string()
      .trim()
      .regex(/^(OBR|SPM)-\d{1,3}(\.\d{1,2})?$/, 'must be OBR-n, SPM-n, OBR-n.c or SPM-n.c, e.g. SPM-18')
      .optional(),
  ),
  /** `false` runs no MLLP listener (REST only); readiness then reports it as disabled. */
  ACCESSION_MLLP_ENABLED: unsetWhenEmpty(
    z
      .enum(['true', 'false'], { error: 'must be true or false' })
      .default('true')
      .transform((v) => v === 'true'),
  ),
  /** TCP port of the MLLP listener (2575, the port IANA lists for HL7 over MLLP); 0 = any free port (tests). */
  ACCESSION_MLLP_PORT: unsetWhenEmpty(portVariable(2575)),
  /** Address the MLLP listener binds; default HOST. 0.0.0.0 lets an LIS on another machine connect. */
  ACCESSION_MLLP_HOST: unsetWhenEmpty(z.string().trim().min(1).optional()),
  /**
   * A frame must be complete within this many ms of its first byte, however the bytes trickle in
   * (slowloris): else it is answered AR and the connection closed. Also the TLS handshake deadline.
   */
  ACCESSION_MLLP_FRAME_TIMEOUT_MS: whole(100, 600_000, 30_000),
  /** A connection with no frame for this long (bytes between frames do not count) is closed. */
  ACCESSION_MLLP_IDLE_TIMEOUT_MS: whole(1_000, 86_400_000, 600_000),
  /** Largest HL7 message accepted, in bytes; a longer frame is not read and is answered AR 100 (the connection closes after 3 framing errors). */
  ACCESSION_MLLP_MAX_MESSAGE_BYTES: whole(1024, 16 * 1024 * 1024, 1024 * 1024),
  /** Open connections at most, all peers together; one more is closed at once (logged, counted). */
  ACCESSION_MLLP_MAX_CONNECTIONS: whole(1, 10_000, 64),
  /** Open connections at most from one peer address. */
  ACCESSION_MLLP_MAX_CONNECTIONS_PER_PEER: whole(1, 10_000, 8),
  /** TLS: the listener's certificate (chain) and private key, PEM. Both set = MLLP over TLS (1.2 or newer) only. */
  ACCESSION_MLLP_TLS_CERT_FILE: filePath(),
  ACCESSION_MLLP_TLS_KEY_FILE: filePath(),
  /** PEM CA certificate(s) that client certificates must chain to (mutual TLS). */
  ACCESSION_MLLP_TLS_CA_FILE: filePath(),
  /**
   * Client certificates: none (not asked), request (asked; a connection without a valid one is still
   * taken, as an address only), require (no valid certificate from ACCESSION_MLLP_TLS_CA_FILE: the
   * handshake fails). Default: require when ACCESSION_MLLP_TLS_CA_FILE is set, else none.
   */
  ACCESSION_MLLP_TLS_CLIENT_AUTH: unsetWhenEmpty(z.enum(CLIENT_AUTH_MODES, { error: 'must be none, request or require' }).optional()),
  /** JSON allow-list: which certificate or peer address may send which MSH-3 / MSH-4 (see sender-allow-list.ts). */
  ACCESSION_MLLP_SENDERS_FILE: filePath(),
};

interface MllpVariables {
  SLIDECHARGE_ENV: 'development' | 'production';
  ACCESSION_MLLP_ENABLED: boolean;
  ACCESSION_MLLP_MAX_CONNECTIONS: number;
  ACCESSION_MLLP_MAX_CONNECTIONS_PER_PEER: number;
  ACCESSION_MLLP_TLS_CERT_FILE?: string | undefined;
  ACCESSION_MLLP_TLS_KEY_FILE?: string | undefined;
  ACCESSION_MLLP_TLS_CA_FILE?: string | undefined;
  ACCESSION_MLLP_TLS_CLIENT_AUTH?: ClientAuthMode | undefined;
  ACCESSION_MLLP_SENDERS_FILE?: string | undefined;
}

/** The client-certificate mode in force (the default depends on whether a CA is configured). */
export function clientAuthOf(config: Pick<MllpVariables, 'ACCESSION_MLLP_TLS_CA_FILE' | 'ACCESSION_MLLP_TLS_CLIENT_AUTH'>): ClientAuthMode {
  return config.ACCESSION_MLLP_TLS_CLIENT_AUTH ?? (config.ACCESSION_MLLP_TLS_CA_FILE ? 'require' : 'none');
}

/**
 * Rules across variables: certificate and key come together; client certificates need TLS and a CA
 * (and a CA is only read to check them); the per-peer cap fits in the total one. In production
 * (SLIDECHARGE_ENV=production) a listening MLLP port needs ACCESSION_MLLP_SENDERS_FILE: every
 * connection's MSH-3/MSH-4 must be bound to a certificate or a peer address, so nobody on the network
 * can write orders under another sender's name. TLS is not required (many LIS cannot speak it and
 * use a VPN or stunnel), but its absence is logged at start.
 */
export function checkMllpConfig(config: MllpVariables, ctx: z.RefinementCtx): void {
  const issue = (path: keyof MllpVariables, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
  const hasCert = config.ACCESSION_MLLP_TLS_CERT_FILE !== undefined;
  const hasKey = config.ACCESSION_MLLP_TLS_KEY_FILE !== undefined;
  if (hasCert !== hasKey) {
    issue(hasCert ? 'ACCESSION_MLLP_TLS_KEY_FILE' : 'ACCESSION_MLLP_TLS_CERT_FILE', 'is required with the other of ACCESSION_MLLP_TLS_CERT_FILE / ACCESSION_MLLP_TLS_KEY_FILE (set both for MLLP over TLS, neither for plain TCP)');
  }
  const clientAuth = clientAuthOf(config);
  if (clientAuth !== 'none' && !(hasCert && hasKey)) {
    issue('ACCESSION_MLLP_TLS_CLIENT_AUTH', `is ${clientAuth}: client certificates need TLS (ACCESSION_MLLP_TLS_CERT_FILE and ACCESSION_MLLP_TLS_KEY_FILE)`);
  }
  if (clientAuth !== 'none' && config.ACCESSION_MLLP_TLS_CA_FILE === undefined) {
    issue('ACCESSION_MLLP_TLS_CA_FILE', `is required when ACCESSION_MLLP_TLS_CLIENT_AUTH is ${clientAuth} (the CA client certificates must chain to)`);
  }
  if (clientAuth === 'none' && config.ACCESSION_MLLP_TLS_CA_FILE !== undefined) {
    issue('ACCESSION_MLLP_TLS_CA_FILE', 'is set but ACCESSION_MLLP_TLS_CLIENT_AUTH is none: client certificates would not be checked (use request or require)');
  }
  if (config.ACCESSION_MLLP_MAX_CONNECTIONS_PER_PEER > config.ACCESSION_MLLP_MAX_CONNECTIONS) {
    issue('ACCESSION_MLLP_MAX_CONNECTIONS_PER_PEER', `must be at most ACCESSION_MLLP_MAX_CONNECTIONS (${config.ACCESSION_MLLP_MAX_CONNECTIONS})`);
  }
  if (config.SLIDECHARGE_ENV === 'production' && config.ACCESSION_MLLP_ENABLED && config.ACCESSION_MLLP_SENDERS_FILE === undefined) {
    issue(
      'ACCESSION_MLLP_SENDERS_FILE',
      'is required in production (SLIDECHARGE_ENV=production) while the MLLP listener is on: list which client certificates or peer addresses may send which MSH-3/MSH-4 (docs/integration-guide.md), or set ACCESSION_MLLP_ENABLED=false',
    );
  }
}
