import { BlockList, isIP } from 'node:net';
import { unsafeCharacterIn } from '@slidecharge/contracts';
import type { Hl7Error } from '@slidecharge/hl7';
import { z } from 'zod';
import type { PeerCertificate } from './hl7-intake';

/**
 * Which LIS may send as which sender (ACCESSION_MLLP_SENDERS_FILE): each entry names a client
 * certificate (subject CN and/or SHA-256 fingerprint) and/or peer addresses (IP or CIDR), and the
 * MSH-3 sending applications and MSH-4 sending facilities a connection it matches may use. Pure: the
 * file is read by SenderAllowListService.
 *
 * ```json
 * { "senders": [
 *   { "name": "Beaker", "certificate": { "subjectCN": "beaker.lab.example.org" },
 *     "sendingApplications": ["BEAKER"], "sendingFacilities": ["PATHLAB"] },
 *   { "name": "interface engine", "peers": ["10.20.0.0/24"],
 *     "sendingApplications": ["LIS"], "sendingFacilities": ["LAB", ""] } ] }
 * ```
 */

/** An MSH-3 / MSH-4 value as sent (all components, e.g. `BEAKER` or `BEAKER^2.16.840.1^ISO`). */
const SenderName = z
  .string()
  .max(227, 'at most 227 characters (the HL7 length of MSH-3/MSH-4)')
  .refine((v) => unsafeCharacterIn(v, false) === undefined, 'may not contain control characters');

const Fingerprint = z
  .string()
  .transform((v) => v.replace(/:/g, '').toUpperCase())
  .pipe(z.string().regex(/^[0-9A-F]{64}$/, 'a SHA-256 fingerprint: 64 hex digits, with or without colons'));

const Peer = z.string().refine((v) => parsePeer(v) !== undefined, 'an IPv4 or IPv6 address, or a CIDR block such as 10.20.0.0/24');

const SenderEntry = z
  .strictObject({
    name: z.string().trim().min(1).max(100),
    certificate: z
      .strictObject({ subjectCN: z.string().min(1).max(200).optional(), sha256: Fingerprint.optional() })
      .refine((c) => c.subjectCN !== undefined || c.sha256 !== undefined, 'needs subjectCN, sha256 or both')
      .optional(),
    peers: z.array(Peer).min(1).optional(),
    sendingApplications: z.array(SenderName).min(1, 'list at least one MSH-3'),
    sendingFacilities: z.array(SenderName).min(1, 'list at least one MSH-4 ("" for an empty MSH-4)'),
  })
  .refine((e) => e.certificate !== undefined || e.peers !== undefined, 'needs a certificate, peers or both (what a connection must present to use it)');

const SendersFile = z.strictObject({ senders: z.array(SenderEntry).min(1, 'list at least one sender') });

export type SenderEntry = z.output<typeof SenderEntry>;

/** What is known of a connection: its address and, over mutual TLS, its verified client certificate. */
export interface ConnectionIdentity {
  address?: string | undefined;
  certificate?: PeerCertificate | undefined;
}

export type SenderVerdict = { allowed: true } | { allowed: false; error: Hl7Error };

/** The address without the IPv4-mapped IPv6 prefix (::ffff:10.0.0.5 -> 10.0.0.5). */
export function normalizeAddress(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return mapped?.[1] ?? address;
}

function parsePeer(text: string): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } | undefined {
  const [address = '', prefixText, extra] = text.trim().split('/');
  if (extra !== undefined) return undefined;
  const version = isIP(address);
  if (version === 0) return undefined;
  const max = version === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? max : /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : Number.NaN;
  if (!(prefix >= 0 && prefix <= max)) return undefined;
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

interface Rule {
  entry: SenderEntry;
  peers?: BlockList;
}

export class SenderAllowList {
  private readonly rules: Rule[];

  constructor(readonly entries: SenderEntry[]) {
    this.rules = entries.map((entry) => ({ entry, ...(entry.peers ? { peers: blockListOf(entry.peers) } : {}) }));
  }

  /** Reads the file's JSON; throws an Error naming every problem by its place in the file. */
  static parse(text: string, source: string): SenderAllowList {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (e) {
      throw new Error(`${source} is not JSON: ${(e as Error).message}`);
    }
    const result = SendersFile.safeParse(json);
    if (!result.success) {
      throw new Error(`${source} is not a valid sender list:\n${result.error.issues.map((i) => `  - ${i.path.join('.') || '(file)'}: ${i.message}`).join('\n')}`);
    }
    return new SenderAllowList(result.data.senders);
  }

  /** True when some entry is matched by certificate (then client certificates must be asked for). */
  get usesCertificates(): boolean {
    return this.entries.some((e) => e.certificate !== undefined);
  }

  /** The entries a connection matches (every criterion an entry gives must match). */
  entriesFor(identity: ConnectionIdentity): SenderEntry[] {
    return this.rules.filter((rule) => matches(rule, identity)).map((rule) => rule.entry);
  }

  /**
   * May this connection send as MSH-3 / MSH-4 (each compared as sent, all components)? When not,
   * the ERR to answer with: code 204 (unknown key identifier: this sender is not known for this
   * connection) at MSH-3, or at MSH-4 when the application is allowed but not with this facility.
   */
  verdict(identity: ConnectionIdentity, sendingApplication: string, sendingFacility: string): SenderVerdict {
    const entries = this.entriesFor(identity);
    if (entries.some((e) => e.sendingApplications.includes(sendingApplication) && e.sendingFacilities.includes(sendingFacility))) return { allowed: true };
    const applicationKnown = entries.some((e) => e.sendingApplications.includes(sendingApplication));
    const message = applicationKnown
      ? `MSH-4 sending facility ${sendingFacility || '(empty)'} is not allowed for ${sendingApplication} on this connection`
      : `MSH-3 sending application ${sendingApplication || '(empty)'} is not allowed on this connection`;
    return { allowed: false, error: { segment: 'MSH', sequence: 1, field: applicationKnown ? 4 : 3, code: '204', message } };
  }
}

function blockListOf(peers: string[]): BlockList {
  const list = new BlockList();
  for (const text of peers) {
    const peer = parsePeer(text);
    if (!peer) continue; // validated by the schema
    const max = peer.family === 'ipv4' ? 32 : 128;
    if (peer.prefix === max) list.addAddress(peer.address, peer.family);
    else list.addSubnet(peer.address, peer.prefix, peer.family);
  }
  return list;
}

function matches(rule: Rule, identity: ConnectionIdentity): boolean {
  const wanted = rule.entry.certificate;
  if (wanted) {
    const got = identity.certificate;
    if (!got) return false;
    if (wanted.subjectCN !== undefined && wanted.subjectCN !== got.subjectCN) return false;
    if (wanted.sha256 !== undefined && wanted.sha256 !== got.sha256) return false;
  }
  if (rule.peers) {
    if (identity.address === undefined) return false;
    const address = normalizeAddress(identity.address);
    const family = isIP(address);
    if (family === 0 || !rule.peers.check(address, family === 4 ? 'ipv4' : 'ipv6')) return false;
  }
  return true;
}
