import { buildDftP03 } from '@slidecharge/hl7';
import { chargeFromRow } from '../charging/charge-row';
import type { EnabledDeliverySettings } from './delivery.config';
import type { ClaimedDelivery } from './delivery.repository';

/** Sending application (MSH-3) of every DFT^P03. */
export const SENDING_APPLICATION = 'SLIDECHARGE';

/**
 * Builds the DFT^P03 of a delivery from the stored charge (and credit). Deterministic: the timestamp is
 * the time the delivery was queued, so every attempt sends the same bytes with the same MSH-10.
 */
export function dftMessageOf(
  delivery: Pick<ClaimedDelivery, 'messageControlId' | 'createdAt'>,
  subject: { charge: Parameters<typeof chargeFromRow>[0]; credit: { createdAt: Date } | null },
  settings: Pick<EnabledDeliverySettings, 'sendingFacility' | 'receivingApplication' | 'receivingFacility'>,
): string {
  const charge = chargeFromRow(subject.charge);
  return buildDftP03(subject.credit ? { ...charge, postedAt: subject.credit.createdAt.toISOString() } : charge, {
    messageControlId: delivery.messageControlId,
    timestamp: delivery.createdAt,
    sendingApplication: SENDING_APPLICATION,
    ...(settings.sendingFacility ? { sendingFacility: settings.sendingFacility } : {}),
    ...(settings.receivingApplication ? { receivingApplication: settings.receivingApplication } : {}),
    ...(settings.receivingFacility ? { receivingFacility: settings.receivingFacility } : {}),
    ...(subject.credit ? { credit: { originalChargeId: charge.chargeId } } : {}),
  });
}

