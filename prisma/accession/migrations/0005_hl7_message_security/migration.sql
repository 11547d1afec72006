-- AlterTable
ALTER TABLE "accession"."hl7_message" ADD COLUMN     "client_certificate" TEXT;

-- CreateIndex
CREATE INDEX "hl7_message_received_at_idx" ON "accession"."hl7_message"("received_at");


-- Hand-written (keep when regenerating). No semicolons in comments: the migration engine splits the script at every one.
-- A message whose connection may not send as its MSH-3/MSH-4 (ACCESSION_MLLP_SENDERS_FILE) is stored as sender-not-allowed.
-- It does not hold the sender + MSH-10 key, so a spoofed copy never blocks the real sender's message with the same MSH-10.
ALTER TABLE "accession"."hl7_message" DROP CONSTRAINT "hl7_message_outcome_check";
ALTER TABLE "accession"."hl7_message" ADD CONSTRAINT "hl7_message_outcome_check" CHECK ("outcome" IN ('created', 'updated', 'unchanged', 'cancelled', 'already-cancelled', 'refused', 'invalid', 'rejected', 'duplicate', 'error', 'framing-error', 'sender-not-allowed'));
DROP INDEX "accession"."hl7_message_original_key";
CREATE UNIQUE INDEX "hl7_message_original_key" ON "accession"."hl7_message"("sending_application", "sending_facility", "control_id") WHERE "control_id" IS NOT NULL AND "outcome" NOT IN ('duplicate', 'error', 'framing-error', 'sender-not-allowed');
