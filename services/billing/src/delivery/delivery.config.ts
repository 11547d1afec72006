import { z } from 'zod';
import type { RetryPolicy } from './delivery-policy';

/** Unset, or set to an empty string: both mean "not configured". */
const optionalText = () =>
  z
    .string()
    .optional()
    .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

/** An HL7 HD namespace id (MSH-4/5/6): no HL7 delimiter and no line break. */
const hl7Name = () =>
  optionalText().pipe(
    z
      .string()
      .max(180)
      .regex(/^[^|^~\\&\r\n]+$/, 'may not contain the HL7 delimiters | ^ ~ \\ & or a line break')
      .optional(),
  );

/** A name or code written into one HL7 component: at most `max` characters (its v2.5.1 length), no HL7 delimiter or line break. */
const hl7Text = (max: number) =>
  optionalText().pipe(
    z
      .string()
      .max(max)
      .regex(/^[^|^~\\&\r\n]+$/, 'may not contain the HL7 delimiters | ^ ~ \\ & or a line break')
      .optional(),
  );

const milliseconds = (defaultMs: number, min: number, max: number) =>
  z.coerce.number({ error: 'must be a number of milliseconds' }).int('must be a whole number').min(min).max(max).default(defaultMs);

/**
 * The DFT^P03 delivery variables of billing (merged into billingConfigSchema in ../config.ts).
 * Delivery is on when BILLING_DFT_HOST and BILLING_DFT_PORT are both set, off when neither is.
 */
export const deliveryConfigShape = {
  /** Host name or IP address of the billing system's MLLP listener. */
  BILLING_DFT_HOST: optionalText().pipe(
    z
      .string()
      .max(253)
      .regex(/^[A-Za-z0-9.:_-]+$/, 'must be a host name or an IP address')
      .optional(),
  ),
  BILLING_DFT_PORT: optionalText().pipe(z.coerce.number<string | undefined>({ error: 'must be a port number' }).int('must be a whole number').min(1).max(65535).optional()),
  /** MSH-3 is SLIDECHARGE; MSH-4 sending facility, MSH-5 receiving application, MSH-6 receiving facility. */
  BILLING_DFT_SENDING_FACILITY: hl7Name(),
  BILLING_DFT_RECEIVING_APPLICATION: hl7Name(),
  BILLING_DFT_RECEIVING_FACILITY: hl7Name(),
  /**
   * FT1-20 performed by: the laboratory or pathologist billing the digitization, as an XCN with its NPI
   * (10 digits) and name (the laboratory's name as the family name). Unset: FT1-20 empty.
   */
  BILLING_DFT_PERFORMER_NPI: optionalText().pipe(z.string().regex(/^\d{10}$/, 'must be an NPI (10 digits)').optional()),
  BILLING_DFT_PERFORMER_FAMILY_NAME: hl7Text(50),
  BILLING_DFT_PERFORMER_GIVEN_NAME: hl7Text(30),
  /** FT1-13 department code (and its text), when the billing system files charges by department. Unset: FT1-13 empty. */
  BILLING_DFT_DEPARTMENT_CODE: hl7Text(20),
  BILLING_DFT_DEPARTMENT_NAME: hl7Text(199),
  /** How long to wait for the ACK of one message (also the connect timeout). */
  BILLING_DFT_ACK_TIMEOUT_MS: milliseconds(10_000, 100, 300_000),
  /** Attempts before a delivery fails and waits for a person (POST /deliveries/{id}/retry). */
  BILLING_DFT_MAX_ATTEMPTS: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(1).max(1000).default(12),
  /** Backoff: first delay, doubled after each failed attempt, capped at the max. */
  BILLING_DFT_BACKOFF_BASE_MS: milliseconds(2_000, 10, 3_600_000),
  BILLING_DFT_BACKOFF_MAX_MS: milliseconds(300_000, 10, 86_400_000),
  /** How often an idle sender looks for due deliveries. */
  BILLING_DFT_POLL_MS: milliseconds(1_000, 20, 60_000),
  /**
   * MLLP connections this instance keeps to the billing system, each with one message outstanding (HL7
   * original mode). More than one only when the billing system accepts concurrent connections: messages
   * of different charges then go out side by side; a credit still waits for its charge's ACK.
   */
  BILLING_DFT_CONNECTIONS: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(1).max(16).default(1),
  /** `true`: MLLP over TLS (1.2 or newer) to the billing system, its certificate checked. */
  BILLING_DFT_TLS: optionalText().pipe(
    z
      .enum(['true', 'false'], { error: 'must be true or false' })
      .optional()
      .transform((v) => v === 'true'),
  ),
  /** PEM CA certificate(s) the billing system's certificate must chain to; default: the system's trusted CAs. */
  BILLING_DFT_TLS_CA_FILE: optionalText(),
  /** PEM client certificate and key, when the billing system asks for one (mutual TLS). */
  BILLING_DFT_TLS_CERT_FILE: optionalText(),
  BILLING_DFT_TLS_KEY_FILE: optionalText(),
  /** Name the billing system's certificate must carry (and SNI); default BILLING_DFT_HOST. */
  BILLING_DFT_TLS_SERVERNAME: optionalText().pipe(
    z
      .string()
      .max(253)
      .regex(/^[A-Za-z0-9.-]+$/, 'must be a host name')
      .optional(),
  ),
};

interface DeliveryVariables {
  BILLING_DFT_HOST?: string | undefined;
  BILLING_DFT_PORT?: number | undefined;
  BILLING_DFT_SENDING_FACILITY?: string | undefined;
  BILLING_DFT_RECEIVING_APPLICATION?: string | undefined;
  BILLING_DFT_RECEIVING_FACILITY?: string | undefined;
  BILLING_DFT_PERFORMER_NPI?: string | undefined;
  BILLING_DFT_PERFORMER_FAMILY_NAME?: string | undefined;
  BILLING_DFT_PERFORMER_GIVEN_NAME?: string | undefined;
  BILLING_DFT_DEPARTMENT_CODE?: string | undefined;
  BILLING_DFT_DEPARTMENT_NAME?: string | undefined;
  BILLING_DFT_ACK_TIMEOUT_MS: number;
  BILLING_DFT_MAX_ATTEMPTS: number;
  BILLING_DFT_BACKOFF_BASE_MS: number;
  BILLING_DFT_BACKOFF_MAX_MS: number;
  BILLING_DFT_POLL_MS: number;
  BILLING_DFT_CONNECTIONS: number;
  BILLING_DFT_TLS: boolean;
  BILLING_DFT_TLS_CA_FILE?: string | undefined;
  BILLING_DFT_TLS_CERT_FILE?: string | undefined;
  BILLING_DFT_TLS_KEY_FILE?: string | undefined;
  BILLING_DFT_TLS_SERVERNAME?: string | undefined;
  SHUTDOWN_TIMEOUT_MS: number;
}

/**
 * The checks across variables (added to billingConfigSchema with superRefine): host and port come
 * together, the backoff cap is not below its base, one ACK wait fits in the shutdown deadline
 * (graceful shutdown finishes the message in flight), and the TLS files go with BILLING_DFT_TLS=true
 * (client certificate and key together).
 */
export function checkDeliveryConfig(config: DeliveryVariables, ctx: z.RefinementCtx): void {
  const hasHost = config.BILLING_DFT_HOST !== undefined;
  const hasPort = config.BILLING_DFT_PORT !== undefined;
  if (hasHost !== hasPort) {
    ctx.addIssue({
      code: 'custom',
      path: [hasHost ? 'BILLING_DFT_PORT' : 'BILLING_DFT_HOST'],
      message: `is required when ${hasHost ? 'BILLING_DFT_HOST' : 'BILLING_DFT_PORT'} is set (set both to deliver charges as DFT^P03, neither to turn delivery off)`,
    });
  }
  if (config.BILLING_DFT_BACKOFF_MAX_MS < config.BILLING_DFT_BACKOFF_BASE_MS) {
    ctx.addIssue({ code: 'custom', path: ['BILLING_DFT_BACKOFF_MAX_MS'], message: `must be at least BILLING_DFT_BACKOFF_BASE_MS (${config.BILLING_DFT_BACKOFF_BASE_MS})` });
  }
  const tlsFiles = ['BILLING_DFT_TLS_CA_FILE', 'BILLING_DFT_TLS_CERT_FILE', 'BILLING_DFT_TLS_KEY_FILE', 'BILLING_DFT_TLS_SERVERNAME'] as const;
  for (const name of tlsFiles) {
    if (config[name] !== undefined && !config.BILLING_DFT_TLS) ctx.addIssue({ code: 'custom', path: [name], message: 'is set but BILLING_DFT_TLS is not true' });
  }
  if ((config.BILLING_DFT_TLS_CERT_FILE === undefined) !== (config.BILLING_DFT_TLS_KEY_FILE === undefined)) {
    ctx.addIssue({
      code: 'custom',
      path: [config.BILLING_DFT_TLS_CERT_FILE === undefined ? 'BILLING_DFT_TLS_CERT_FILE' : 'BILLING_DFT_TLS_KEY_FILE'],
      message: 'is required with the other of BILLING_DFT_TLS_CERT_FILE / BILLING_DFT_TLS_KEY_FILE (a client certificate for mutual TLS)',
    });
  }
  if (config.BILLING_DFT_ACK_TIMEOUT_MS >= config.SHUTDOWN_TIMEOUT_MS) {
    ctx.addIssue({
      code: 'custom',
      path: ['BILLING_DFT_ACK_TIMEOUT_MS'],
      message: `must be below SHUTDOWN_TIMEOUT_MS (${config.SHUTDOWN_TIMEOUT_MS}), so that a shutdown can wait for the ACK of the message in flight`,
    });
  }
}

/** Where and how billing delivers DFT^P03 messages; `enabled: false` when no billing system is configured. */
export type DeliverySettings =
  | { enabled: false }
  | {
      enabled: true;
      host: string;
      port: number;
      sendingFacility?: string;
      receivingApplication?: string;
      receivingFacility?: string;
      /** FT1-20 performed by. */
      performer?: DftPerformer;
      /** FT1-13 department code. */
      department?: { code: string; text?: string };
      ackTimeoutMs: number;
      pollMs: number;
      /** MLLP connections kept to the billing system, one message outstanding on each. */
      connections: number;
      retry: RetryPolicy;
      /** TLS to the billing system: the PEM files to read at start, and the name to check. */
      tls?: DftTlsFiles;
    };

/** The laboratory or pathologist in FT1-20 (NPI, and name: a laboratory's name as the family name). */
export interface DftPerformer {
  npi?: string;
  family?: string;
  given?: string;
}

export interface DftTlsFiles {
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  servername?: string;
}

export type EnabledDeliverySettings = Extract<DeliverySettings, { enabled: true }>;

export function deliverySettingsOf(config: DeliveryVariables): DeliverySettings {
  if (config.BILLING_DFT_HOST === undefined || config.BILLING_DFT_PORT === undefined) return { enabled: false };
  return {
    enabled: true,
    host: config.BILLING_DFT_HOST,
    port: config.BILLING_DFT_PORT,
    ...(config.BILLING_DFT_SENDING_FACILITY ? { sendingFacility: config.BILLING_DFT_SENDING_FACILITY } : {}),
    ...(config.BILLING_DFT_RECEIVING_APPLICATION ? { receivingApplication: config.BILLING_DFT_RECEIVING_APPLICATION } : {}),
    ...(config.BILLING_DFT_RECEIVING_FACILITY ? { receivingFacility: config.BILLING_DFT_RECEIVING_FACILITY } : {}),
    ...performerOf(config),
    ...(config.BILLING_DFT_DEPARTMENT_CODE
      ? { department: { code: config.BILLING_DFT_DEPARTMENT_CODE, ...(config.BILLING_DFT_DEPARTMENT_NAME ? { text: config.BILLING_DFT_DEPARTMENT_NAME } : {}) } }
      : {}),
    ackTimeoutMs: config.BILLING_DFT_ACK_TIMEOUT_MS,
    pollMs: config.BILLING_DFT_POLL_MS,
    connections: config.BILLING_DFT_CONNECTIONS,
    retry: { maxAttempts: config.BILLING_DFT_MAX_ATTEMPTS, baseMs: config.BILLING_DFT_BACKOFF_BASE_MS, maxMs: config.BILLING_DFT_BACKOFF_MAX_MS },
    ...(config.BILLING_DFT_TLS ? { tls: tlsFilesOf(config) } : {}),
  };
}

function performerOf(config: DeliveryVariables): { performer?: DftPerformer } {
  const performer = {
    ...(config.BILLING_DFT_PERFORMER_NPI ? { npi: config.BILLING_DFT_PERFORMER_NPI } : {}),
    ...(config.BILLING_DFT_PERFORMER_FAMILY_NAME ? { family: config.BILLING_DFT_PERFORMER_FAMILY_NAME } : {}),
    ...(config.BILLING_DFT_PERFORMER_GIVEN_NAME ? { given: config.BILLING_DFT_PERFORMER_GIVEN_NAME } : {}),
  };
  return Object.keys(performer).length > 0 ? { performer } : {};
}

function tlsFilesOf(config: DeliveryVariables): DftTlsFiles {
  return {
    ...(config.BILLING_DFT_TLS_CA_FILE !== undefined ? { caFile: config.BILLING_DFT_TLS_CA_FILE } : {}),
    ...(config.BILLING_DFT_TLS_CERT_FILE !== undefined ? { certFile: config.BILLING_DFT_TLS_CERT_FILE } : {}),
    ...(config.BILLING_DFT_TLS_KEY_FILE !== undefined ? { keyFile: config.BILLING_DFT_TLS_KEY_FILE } : {}),
    ...(config.BILLING_DFT_TLS_SERVERNAME !== undefined ? { servername: config.BILLING_DFT_TLS_SERVERNAME } : {}),
  };
}

/** The variables to set, said when delivery is off (start log line and readiness details). */
export const DELIVERY_OFF_REASON = 'BILLING_DFT_HOST and BILLING_DFT_PORT are not set: charges are not delivered as DFT^P03 (billing.charges.v1 only)';
