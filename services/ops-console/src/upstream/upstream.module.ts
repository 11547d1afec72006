import { Module } from '@nestjs/common';
import { UpstreamService } from './upstream.service';

/** Calls to the owning services (accession, scanner-events, qc, billing) under the caller's token. */
@Module({ providers: [UpstreamService], exports: [UpstreamService] })
export class UpstreamModule {}
