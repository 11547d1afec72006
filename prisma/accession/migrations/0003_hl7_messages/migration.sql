-- CreateTable
CREATE TABLE "accession"."hl7_message" (
    "id" SERIAL NOT NULL,
    "received_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "peer" TEXT,
    "sending_application" TEXT NOT NULL DEFAULT '',
    "sending_facility" TEXT NOT NULL DEFAULT '',
    "control_id" TEXT,
    "message_type" TEXT,
    "version" TEXT,
    "order_control" TEXT,
    "accession_number" TEXT,
    "raw" TEXT NOT NULL,
    "ack_code" TEXT NOT NULL,
    "outcome" TEXT NOT NULL,
    "case_version" INTEGER,
    "reason" TEXT,
    "errors" JSONB NOT NULL DEFAULT '[]',
    "ack" TEXT NOT NULL,
    "duplicate_of" INTEGER,

    CONSTRAINT "hl7_message_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "hl7_message_accession_number_id_idx" ON "accession"."hl7_message"("accession_number", "id" DESC);

-- CreateIndex
CREATE INDEX "hl7_message_control_id_id_idx" ON "accession"."hl7_message"("control_id", "id" DESC);

-- CreateIndex
CREATE INDEX "hl7_message_outcome_id_idx" ON "accession"."hl7_message"("outcome", "id" DESC);

-- AddForeignKey
ALTER TABLE "accession"."hl7_message" ADD CONSTRAINT "hl7_message_duplicate_of_fkey" FOREIGN KEY ("duplicate_of") REFERENCES "accession"."hl7_message"("id") ON DELETE SET NULL ON UPDATE CASCADE;


-- Hand-written (keep when regenerating). No semicolons in comments: the migration engine splits the script at every one.
-- The first decided message of a sender and MSH-10 holds the key: a repeat finds it and gets its ACK again.
-- Repeats (duplicate), our own failures (error) and framing errors do not hold it, so a resend after them is processed.
CREATE UNIQUE INDEX "hl7_message_original_key" ON "accession"."hl7_message"("sending_application", "sending_facility", "control_id") WHERE "control_id" IS NOT NULL AND "outcome" NOT IN ('duplicate', 'error', 'framing-error');
ALTER TABLE "accession"."hl7_message" ADD CONSTRAINT "hl7_message_ack_code_check" CHECK ("ack_code" IN ('AA', 'AE', 'AR'));
ALTER TABLE "accession"."hl7_message" ADD CONSTRAINT "hl7_message_outcome_check" CHECK ("outcome" IN ('created', 'updated', 'unchanged', 'cancelled', 'already-cancelled', 'refused', 'invalid', 'rejected', 'duplicate', 'error', 'framing-error'));
