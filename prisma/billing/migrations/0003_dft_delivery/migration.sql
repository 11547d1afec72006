-- CreateTable
CREATE TABLE "billing"."delivery" (
    "id" UUID NOT NULL,
    "seq" BIGSERIAL NOT NULL,
    "kind" TEXT NOT NULL,
    "charge_id" UUID NOT NULL,
    "credit_id" UUID,
    "accession_number" TEXT NOT NULL,
    "message_control_id" TEXT NOT NULL,
    "depends_on" UUID,
    "state" TEXT NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "next_attempt_at" TIMESTAMPTZ(3) NOT NULL,
    "lease_until" TIMESTAMPTZ(3),
    "claimed_by" TEXT,
    "last_outcome" TEXT,
    "last_error" TEXT,
    "message" TEXT,
    "acked_at" TIMESTAMPTZ(3),
    "manual_retries" INTEGER NOT NULL DEFAULT 0,
    "last_retry_by" TEXT,
    "last_retry_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "delivery_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "billing"."delivery_attempt" (
    "id" BIGSERIAL NOT NULL,
    "delivery_id" UUID NOT NULL,
    "attempt" INTEGER NOT NULL,
    "started_at" TIMESTAMPTZ(3) NOT NULL,
    "finished_at" TIMESTAMPTZ(3) NOT NULL,
    "outcome" TEXT NOT NULL,
    "ack" TEXT,
    "detail" TEXT,
    "sent_by" TEXT NOT NULL,

    CONSTRAINT "delivery_attempt_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "delivery_seq_key" ON "billing"."delivery"("seq");

-- CreateIndex
CREATE UNIQUE INDEX "delivery_credit_id_key" ON "billing"."delivery"("credit_id");

-- CreateIndex
CREATE UNIQUE INDEX "delivery_message_control_id_key" ON "billing"."delivery"("message_control_id");

-- CreateIndex
CREATE INDEX "delivery_state_next_attempt_at_idx" ON "billing"."delivery"("state", "next_attempt_at");

-- CreateIndex
CREATE INDEX "delivery_accession_number_idx" ON "billing"."delivery"("accession_number");

-- CreateIndex
CREATE UNIQUE INDEX "delivery_kind_charge_id_key" ON "billing"."delivery"("kind", "charge_id");

-- CreateIndex
CREATE INDEX "delivery_attempt_delivery_id_id_idx" ON "billing"."delivery_attempt"("delivery_id", "id");

-- AddForeignKey
ALTER TABLE "billing"."delivery" ADD CONSTRAINT "delivery_charge_id_fkey" FOREIGN KEY ("charge_id") REFERENCES "billing"."charge"("charge_id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "billing"."delivery" ADD CONSTRAINT "delivery_credit_id_fkey" FOREIGN KEY ("credit_id") REFERENCES "billing"."credit"("credit_id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "billing"."delivery" ADD CONSTRAINT "delivery_depends_on_fkey" FOREIGN KEY ("depends_on") REFERENCES "billing"."delivery"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "billing"."delivery_attempt" ADD CONSTRAINT "delivery_attempt_delivery_id_fkey" FOREIGN KEY ("delivery_id") REFERENCES "billing"."delivery"("id") ON DELETE RESTRICT ON UPDATE CASCADE;


-- Written by hand (Prisma cannot express these): the allowed values, a credit row names its credit
-- and a charge row none, and the queue index the sender scans (only rows still to send).
ALTER TABLE "billing"."delivery" ADD CONSTRAINT "delivery_kind_check" CHECK ("kind" IN ('charge', 'credit'));

ALTER TABLE "billing"."delivery" ADD CONSTRAINT "delivery_state_check"
  CHECK ("state" IN ('pending', 'in-flight', 'acked', 'failed'));

ALTER TABLE "billing"."delivery" ADD CONSTRAINT "delivery_credit_check"
  CHECK (("kind" = 'credit') = ("credit_id" IS NOT NULL));

CREATE INDEX "delivery_due" ON "billing"."delivery"("seq") WHERE "state" IN ('pending', 'in-flight');
