import { PatientDemographics } from '@slidecharge/contracts';
import { buildDftP03, describeV251Issues, type DftPatient, providerName, validateV251 } from '@slidecharge/hl7';
import { chargeFromRow } from '../charge/charge-row';
import type { EnabledDeliverySettings } from './delivery.config';
import type { ClaimedDelivery, DeliverySubject } from './delivery.repository';

/** Sending application (MSH-3) of every DFT^P03, and the namespace of PR1-19. */
export const SENDING_APPLICATION = 'SLIDECHARGE';

/** The DFT^P03 of a delivery, or why billing does not send it. */
export type DftBuild = { ok: true; message: string } | { ok: false; reason: string };

export type DftSettings = Pick<EnabledDeliverySettings, 'sendingFacility' | 'receivingApplication' | 'receivingFacility' | 'performer' | 'department'>;

/**
 * Builds the DFT^P03 of a delivery from the stored charge (and credit) and the case, and checks it
 * against HL7 v2.5.1. Deterministic: the timestamp is the time the delivery was queued, so every
 * attempt on the same case data sends the same bytes with the same MSH-10. Refused (not sent) when
 * the case lacks a field v2.5.1 requires, or when the message fails the v2.5.1 check.
 */
export function dftMessageOf(
  delivery: Pick<ClaimedDelivery, 'messageControlId' | 'createdAt' | 'transactionId' | 'accessionNumber'>,
  subject: DeliverySubject,
  settings: DftSettings,
): DftBuild {
  const patient = patientOf(subject);
  const gaps = caseGaps(subject, patient);
  if (gaps.length > 0) {
    return {
      ok: false,
      reason:
        `not sent: case ${delivery.accessionNumber} has no ${gaps.join(', no ')}, which HL7 v2.5.1 requires in a DFT^P03; ` +
        'it is sent once the LIS sends a case version with them (or by POST /deliveries/{deliveryId}/retry)',
    };
  }
  const message = buildMessage(delivery, subject, settings, patient);
  const issues = validateV251(message);
  if (issues.length > 0) return { ok: false, reason: `not sent: the DFT^P03 fails the HL7 v2.5.1 check: ${describeV251Issues(issues)}` };
  return { ok: true, message };
}

function buildMessage(
  delivery: Pick<ClaimedDelivery, 'messageControlId' | 'createdAt' | 'transactionId'>,
  subject: DeliverySubject,
  settings: DftSettings,
  patient: DftPatient,
): string {
  const charge = chargeFromRow(subject.charge);
  const orderedBy = { ...providerName(subject.case?.orderingProvider ?? undefined), ...(subject.case?.orderingProviderNpi ? { npi: subject.case.orderingProviderNpi } : {}) };
  return buildDftP03(subject.credit ? { ...charge, postedAt: subject.credit.createdAt.toISOString() } : charge, {
    messageControlId: delivery.messageControlId,
    transactionId: delivery.transactionId,
    timestamp: delivery.createdAt,
    sendingApplication: SENDING_APPLICATION,
    ...(settings.sendingFacility ? { sendingFacility: settings.sendingFacility } : {}),
    ...(settings.receivingApplication ? { receivingApplication: settings.receivingApplication } : {}),
    ...(settings.receivingFacility ? { receivingFacility: settings.receivingFacility } : {}),
    ...(subject.credit ? { credit: { chargeTransactionId: subject.chargeTransactionId } } : {}),
    patient,
    payer: { ...(subject.case?.payerName ? { name: subject.case.payerName } : {}), ...(subject.case?.payerPlan ? { plan: subject.case.payerPlan } : {}) },
    ...(settings.performer ? { performedBy: settings.performer } : {}),
    orderedBy,
    ...(settings.department ? { department: settings.department } : {}),
  });
}

/** The patient's demographics as stored from the case ({} when the LIS sent none or they do not read as demographics). */
function patientOf(subject: DeliverySubject): DftPatient {
  const parsed = PatientDemographics.safeParse(subject.case?.patient ?? {});
  return parsed.success ? parsed.data : {};
}

/** What v2.5.1 requires that only the case can give: PID-5 (the patient's family name), IN1-2 (the insurance plan). */
export function caseGaps(subject: Pick<DeliverySubject, 'case'>, patient: DftPatient): string[] {
  const gaps: string[] = [];
  if (!patient.familyName) gaps.push("patient family name (PID-5)");
  if (!subject.case?.payerPlan) gaps.push('insurance plan (IN1-2)');
  return gaps;
}
