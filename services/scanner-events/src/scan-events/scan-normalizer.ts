import { ScanFacts, ScannerMiddlewareEvent, describeIssues, ContractIssue } from '@slidecharge/contracts';
import { buildEvent, OutgoingMessage } from '@slidecharge/messaging';
import { SERVICE_NAME } from '../config';
import { scanEventIdFor } from './deterministic-uuid';

export type ReceivedVia = ScanFacts['receivedVia'];

/** The scan attempt an event belongs to: the middleware's scanId, else the image id, else the event id. */
export function scanIdOf(event: ScannerMiddlewareEvent): string {
  return event.scanId ?? event.image?.imageId ?? event.eventId;
}

/** The envelope id of the scan event made from a middleware event: the same for every replay. */
export function scanEventIdOf(middlewareEventId: string): string {
  return scanEventIdFor(middlewareEventId);
}

/** The normalized facts published on scan.events.v1. */
export function toScanFacts(event: ScannerMiddlewareEvent, receivedVia: ReceivedVia): ScanFacts {
  const facts: ScanFacts = {
    scanId: scanIdOf(event),
    slideBarcode: event.slideBarcode,
    scannerId: event.scannerId,
    scannedAt: event.occurredAt,
    purpose: event.purpose,
    receivedVia,
    sourceEventId: event.eventId,
  };
  if (event.image) facts.image = event.image;
  if (event.failureReason !== undefined) facts.failureReason = event.failureReason;
  if (event.accessionNumber !== undefined) facts.accessionNumber = event.accessionNumber;
  return facts;
}

/**
 * The outbox message for a middleware event: type = the middleware event type, key = slide barcode
 * (so all events of a slide stay in order on one partition), envelope id derived from the middleware
 * event id and envelope time = when the scanner says it happened. Only the correlation id differs
 * between two builds of the same event.
 */
export function scanEventMessage(event: ScannerMiddlewareEvent, receivedVia: ReceivedVia): OutgoingMessage<'scan.events.v1'> {
  return buildEvent('scan.events.v1', event.eventType, event.slideBarcode, toScanFacts(event, receivedVia), {
    producer: SERVICE_NAME,
    eventId: scanEventIdOf(event.eventId),
    occurredAt: new Date(event.occurredAt),
  });
}

/** One element of a batch after validation: the event, or what is wrong with it. */
export type BatchElement =
  | { index: number; ok: true; event: ScannerMiddlewareEvent }
  | { index: number; ok: false; eventId: string | null; issues: ContractIssue[] };

/**
 * Validates each element of a batch on its own, so one bad element does not sink the others. Issue
 * paths are relative to the element (the answer carries its index).
 */
export function validateBatchElements(elements: readonly unknown[]): BatchElement[] {
  return elements.map((element, index) => {
    const parsed = ScannerMiddlewareEvent.safeParse(element);
    if (parsed.success) return { index, ok: true, event: parsed.data };
    return { index, ok: false, eventId: claimedEventId(element), issues: describeIssues(parsed.error) };
  });
}

/** The eventId an invalid element claims, when it has a usable one (for the caller to match answers). */
function claimedEventId(element: unknown): string | null {
  if (typeof element !== 'object' || element === null) return null;
  const id = (element as { eventId?: unknown }).eventId;
  return typeof id === 'string' && id.trim().length > 0 ? id.trim() : null;
}
