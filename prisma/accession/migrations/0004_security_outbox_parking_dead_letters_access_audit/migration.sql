-- AlterTable
ALTER TABLE "accession"."outbox" ADD COLUMN     "parked_at" TIMESTAMPTZ(3);

-- CreateTable
CREATE TABLE "accession"."access_audit" (
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
CREATE INDEX "access_audit_at_idx" ON "accession"."access_audit"("at");

-- CreateIndex
CREATE INDEX "access_audit_subject_at_idx" ON "accession"."access_audit"("subject", "at");

