import { readFileSync } from 'node:fs';
import { Inject, Injectable } from '@nestjs/common';
import { ConfigError } from '@slidecharge/service-kit';
import { ACCESSION_CONFIG, AccessionConfig } from '../config';
import { clientAuthOf } from './mllp.config';
import { ConnectionIdentity, SenderAllowList, SenderVerdict } from './sender-allow-list';

/**
 * The sender allow-list of ACCESSION_MLLP_SENDERS_FILE, read and checked once at start (a missing,
 * unreadable or invalid file stops the service naming the problem). Without the variable every
 * connection may send as anyone (development only: production requires the file, see mllp.config.ts).
 */
@Injectable()
export class SenderAllowListService {
  readonly list: SenderAllowList | undefined;

  constructor(@Inject(ACCESSION_CONFIG) config: AccessionConfig) {
    const path = config.ACCESSION_MLLP_SENDERS_FILE;
    if (path === undefined) {
      this.list = undefined;
      return;
    }
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      throw new ConfigError([`ACCESSION_MLLP_SENDERS_FILE cannot be read (${path}): ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`]);
    }
    try {
      this.list = SenderAllowList.parse(text, `ACCESSION_MLLP_SENDERS_FILE (${path})`);
    } catch (e) {
      throw new ConfigError([(e as Error).message]);
    }
    if (this.list.usesCertificates && clientAuthOf(config) === 'none') {
      throw new ConfigError([
        `ACCESSION_MLLP_SENDERS_FILE (${path}) matches senders by client certificate, but client certificates are not asked for: set ACCESSION_MLLP_TLS_CA_FILE (and ACCESSION_MLLP_TLS_CLIENT_AUTH request or require)`,
      ]);
    }
  }

  /** False when the file matches nothing for this connection: it could send nothing we accept. */
  knows(identity: ConnectionIdentity): boolean {
    return this.list === undefined || this.list.entriesFor(identity).length > 0;
  }

  verdict(identity: ConnectionIdentity, sendingApplication: string, sendingFacility: string): SenderVerdict {
    return this.list === undefined ? { allowed: true } : this.list.verdict(identity, sendingApplication, sendingFacility);
  }
}
