-- AlterTable
ALTER TABLE "billing"."outbox" ADD COLUMN     "parked_at" TIMESTAMPTZ(3);

-- CreateTable
CREATE TABLE "billing"."dead_letter" (
    "id" UUID NOT NULL,
    "failed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "consumer_group" TEXT NOT NULL,
    "topic" TEXT NOT NULL,
    "partition" INTEGER NOT NULL,
    "offset" TEXT NOT NULL,
    "key" TEXT,
    "reason" TEXT NOT NULL,
    "message" TEXT NOT NULL,
    "headers" JSONB NOT NULL,
    "value" BYTEA,
    "size_bytes" INTEGER NOT NULL,
    "sha256" TEXT NOT NULL,

    CONSTRAINT "dead_letter_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "billing"."access_audit" (
    "id" BIGSERIAL NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "subject" TEXT NOT NULL,
    "username" TEXT,
    "client_id" TEXT,
    "roles" TEXT[],
    "method" TEXT NOT NULL,
    "route" TEXT NOT NULL,
    "params" JSONB NOT NULL,
    "status" INTEGER NOT NULL,
    "records" INTEGER,
    "correlation_id" TEXT,
    "remote_address" TEXT,

    CONSTRAINT "access_audit_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "dead_letter_failed_at_idx" ON "billing"."dead_letter"("failed_at");

-- CreateIndex
CREATE INDEX "access_audit_at_idx" ON "billing"."access_audit"("at");

-- CreateIndex
CREATE INDEX "access_audit_subject_at_idx" ON "billing"."access_audit"("subject", "at");

