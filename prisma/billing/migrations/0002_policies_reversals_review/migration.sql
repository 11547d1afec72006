-- DropIndex
DROP INDEX "billing"."charge_charge_key_key";

-- AlterTable
ALTER TABLE "billing"."billing_case" ADD COLUMN     "flags" JSONB NOT NULL DEFAULT '{}';

-- AlterTable
ALTER TABLE "billing"."billing_specimen" ADD COLUMN     "diagnosis_pointers" INTEGER[] DEFAULT ARRAY[]::INTEGER[],
ADD COLUMN     "modifiers" TEXT[] DEFAULT ARRAY[]::TEXT[];

-- AlterTable
ALTER TABLE "billing"."charge" ADD COLUMN     "diagnosis_pointers" INTEGER[] DEFAULT ARRAY[]::INTEGER[],
ADD COLUMN     "flags" TEXT[] DEFAULT ARRAY[]::TEXT[],
ADD COLUMN     "generation" INTEGER NOT NULL DEFAULT 1,
ADD COLUMN     "hold_reasons" JSONB NOT NULL DEFAULT '[]',
ADD COLUMN     "modifiers" TEXT[] DEFAULT ARRAY[]::TEXT[],
ADD COLUMN     "payer_policy_id" TEXT,
ADD COLUMN     "performer_name" TEXT,
ADD COLUMN     "performer_taxonomy" TEXT,
ADD COLUMN     "policy_version" TEXT,
ADD COLUMN     "posted_at" TIMESTAMPTZ(3),
ADD COLUMN     "refused_modifiers" JSONB NOT NULL DEFAULT '[]',
ADD COLUMN     "release" JSONB,
ADD COLUMN     "replaces_charge_id" UUID,
ADD COLUMN     "status_changed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP;

-- CreateTable
CREATE TABLE "billing"."credit" (
    "credit_id" UUID NOT NULL,
    "credit_for" UUID NOT NULL,
    "reason" TEXT NOT NULL,
    "detail" TEXT NOT NULL,
    "caused_by" TEXT[],
    "trace" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "credit_pkey" PRIMARY KEY ("credit_id")
);

-- CreateTable
CREATE TABLE "billing"."charge_audit" (
    "id" BIGSERIAL NOT NULL,
    "charge_id" UUID NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL,
    "actor" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "from_status" TEXT,
    "to_status" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "event_id" TEXT,

    CONSTRAINT "charge_audit_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "billing"."policy_set" (
    "policy_version" TEXT NOT NULL,
    "document" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "created_by" TEXT NOT NULL,
    "comment" TEXT NOT NULL,

    CONSTRAINT "policy_set_pkey" PRIMARY KEY ("policy_version")
);

-- CreateTable
CREATE TABLE "billing"."policy_activation" (
    "id" BIGSERIAL NOT NULL,
    "policy_version" TEXT NOT NULL,
    "activated_at" TIMESTAMPTZ(3) NOT NULL,
    "activated_by" TEXT NOT NULL,
    "comment" TEXT NOT NULL,

    CONSTRAINT "policy_activation_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "credit_credit_for_key" ON "billing"."credit"("credit_for");

-- CreateIndex
CREATE INDEX "charge_audit_charge_id_id_idx" ON "billing"."charge_audit"("charge_id", "id");

-- CreateIndex
CREATE INDEX "charge_status_created_at_idx" ON "billing"."charge"("status", "created_at");

-- CreateIndex
CREATE INDEX "charge_patient_id_date_of_service_idx" ON "billing"."charge"("patient_id", "date_of_service");

-- CreateIndex
CREATE UNIQUE INDEX "charge_charge_key_generation_key" ON "billing"."charge"("charge_key", "generation");

-- AddForeignKey
ALTER TABLE "billing"."credit" ADD CONSTRAINT "credit_credit_for_fkey" FOREIGN KEY ("credit_for") REFERENCES "billing"."charge"("charge_id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "billing"."policy_activation" ADD CONSTRAINT "policy_activation_policy_version_fkey" FOREIGN KEY ("policy_version") REFERENCES "billing"."policy_set"("policy_version") ON DELETE RESTRICT ON UPDATE CASCADE;


-- Hand-written below (Prisma's schema language has no partial index, check constraint or trigger).

-- A charge key has at most one live charge. Reversed ones (voided, credited) leave room for the next generation.
-- (No semicolons in comments here: the migration runner splits statements on them.)
CREATE UNIQUE INDEX "charge_live_key" ON "billing"."charge"("charge_key") WHERE "status" IN ('held', 'posted', 'do-not-send');

ALTER TABLE "billing"."charge" ADD CONSTRAINT "charge_status_check"
  CHECK ("status" IN ('held', 'posted', 'do-not-send', 'voided', 'credited'));

-- Charges posted before this migration went onto the topic when they were created.
UPDATE "billing"."charge" SET "posted_at" = "created_at", "status_changed_at" = "created_at" WHERE "status" = 'posted';
INSERT INTO "billing"."charge_audit" ("charge_id", "at", "actor", "action", "from_status", "to_status", "reason")
SELECT "charge_id", "created_at", 'billing-rules', 'created', NULL, "status", 'posted before the audit trail existed (migration 0002)'
  FROM "billing"."charge";

