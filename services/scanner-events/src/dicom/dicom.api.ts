import { z } from 'zod';
import { ScanPurpose } from '@slidecharge/contracts';
import { IngestStatus } from '../scan-events/api';

/** Answer and parameters of POST /dicom/instances (validation and OpenAPI from the same schemas). */

export const DicomPurposeQuery = ScanPurpose.default('diagnostic');

export const DicomIngestAnswer = z.object({
  eventId: z.string().describe('"dicom:" + SOP Instance UID: the id the scan event is de-duplicated by.'),
  status: IngestStatus.describe('accepted: a scan event was written; duplicate: this SOP Instance UID was already received, nothing new was written.'),
  scanId: z.string().describe('The scan attempt: the Series Instance UID (shared by every instance of the scan), else the SOP Instance UID.'),
  scanEventId: z.uuid().describe('eventId of the normalized scan.completed envelope on scan.events.v1.'),
  slideBarcode: z.string().describe('From Container Identifier (0040,0512), else Barcode Value (0022,1061).'),
  accessionNumber: z.string().optional().describe('From Accession Number (0008,0050), when it is a usable accession number.'),
  sopInstanceUid: z.string(),
  warnings: z.array(z.string()).describe('What was assumed or left out while reading the instance (no UTC offset, barcode mismatch, a header cut short...).'),
});
export type DicomIngestAnswer = z.infer<typeof DicomIngestAnswer>;

/** Example DICOM JSON body for the OpenAPI document. */
export const DICOM_JSON_EXAMPLE = {
  '00080016': { vr: 'UI', Value: ['1.2.840.10008.5.1.4.1.1.77.1.6'] },
  '00080018': { vr: 'UI', Value: ['1.2.826.0.1.3680043.8.498.1001'] },
  '0020000E': { vr: 'UI', Value: ['1.2.826.0.1.3680043.8.498.1000'] },
  '00080050': { vr: 'SH', Value: ['S26-000123'] },
  '00400512': { vr: 'LO', Value: ['S26-000123-A1-1'] },
  '00221061': { vr: 'LO', Value: ['S26-000123-A1-1'] },
  '0008002A': { vr: 'DT', Value: ['20261127101403.120+0100'] },
  '00080070': { vr: 'LO', Value: ['Leica Biosystems'] },
  '00181000': { vr: 'LO', Value: ['GT450-01'] },
  '00400560': { vr: 'SQ', Value: [{ '00400551': { vr: 'LO', Value: ['S26-000123-A'] }, '00400554': { vr: 'UI', Value: ['1.2.826.0.1.3680043.8.498.2001'] } }] },
};
