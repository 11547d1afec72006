import { Injectable } from '@nestjs/common';
import { RescanPage, RescansQuery } from './rescans.dto';
import { RescansRepository } from './rescans.repository';
import { encodeCursor } from './verdict';

/** The rescan work list: slides whose latest QC verdict failed and that no scan has passed since. */
@Injectable()
export class RescansService {
  constructor(private readonly repository: RescansRepository) {}

  async page(query: RescansQuery): Promise<RescanPage> {
    const { rows, more } = await this.repository.page(query.limit, query.cursor);
    const last = rows.at(-1);
    return {
      items: rows.map((r) => ({
        slideBarcode: r.slide_barcode,
        scanId: r.scan_id,
        reasons: r.reasons,
        rulesVersion: r.rules_version,
        failedAt: new Date(r.evaluated_at).toISOString(),
        failedAttempts: r.failed_attempts,
        firstFailedAt: new Date(r.first_failed_at).toISOString(),
      })),
      nextCursor: more && last ? encodeCursor({ evaluatedAt: new Date(last.evaluated_at), scanId: last.scan_id }) : null,
    };
  }
}
