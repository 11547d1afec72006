-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "ops_console";

-- CreateTable
CREATE TABLE "ops_console"."charge_fact" (
    "charge_id" UUID NOT NULL,
    "code" TEXT NOT NULL,
    "payer_id" TEXT NOT NULL,
    "units" INTEGER NOT NULL,
    "accession_number" TEXT NOT NULL,
    "posted_at" TIMESTAMPTZ(3) NOT NULL,
    "scan_ids" TEXT[],
    "scan_to_charge_seconds" DOUBLE PRECISION,
    "case_to_charge_seconds" DOUBLE PRECISION,
    "trace_id" TEXT,
    "event_id" TEXT NOT NULL,

    CONSTRAINT "charge_fact_pkey" PRIMARY KEY ("charge_id")
);

-- CreateTable
CREATE TABLE "ops_console"."credit_fact" (
    "credit_id" UUID NOT NULL,
    "credit_for" UUID NOT NULL,
    "code" TEXT NOT NULL,
    "payer_id" TEXT NOT NULL,
    "units" INTEGER NOT NULL,
    "accession_number" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "credited_at" TIMESTAMPTZ(3) NOT NULL,
    "event_id" TEXT NOT NULL,

    CONSTRAINT "credit_fact_pkey" PRIMARY KEY ("credit_id")
);

-- CreateTable
CREATE TABLE "ops_console"."scan_fact" (
    "scan_id" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "slide_barcode" TEXT NOT NULL,
    "scanner_id" TEXT NOT NULL,
    "scanned_at" TIMESTAMPTZ(3) NOT NULL,
    "rescan" BOOLEAN NOT NULL DEFAULT false,
    "event_id" TEXT NOT NULL,

    CONSTRAINT "scan_fact_pkey" PRIMARY KEY ("scan_id","type")
);

-- CreateTable
CREATE TABLE "ops_console"."qc_fact" (
    "scan_id" TEXT NOT NULL,
    "slide_barcode" TEXT NOT NULL,
    "passed" BOOLEAN NOT NULL,
    "reasons" TEXT[],
    "at" TIMESTAMPTZ(3) NOT NULL,
    "event_id" TEXT NOT NULL,

    CONSTRAINT "qc_fact_pkey" PRIMARY KEY ("scan_id")
);

-- CreateTable
CREATE TABLE "ops_console"."case_first_seen" (
    "accession_number" TEXT NOT NULL,
    "first_occurred_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "case_first_seen_pkey" PRIMARY KEY ("accession_number")
);

-- CreateTable
CREATE TABLE "ops_console"."case_version_fact" (
    "event_id" TEXT NOT NULL,
    "accession_number" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "type" TEXT NOT NULL,
    "occurred_at" TIMESTAMPTZ(3) NOT NULL,
    "trace_id" TEXT,

    CONSTRAINT "case_version_fact_pkey" PRIMARY KEY ("event_id")
);

-- CreateTable
CREATE TABLE "ops_console"."consumed_event" (
    "consumer" TEXT NOT NULL,
    "event_id" TEXT NOT NULL,
    "topic" TEXT NOT NULL,
    "consumed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "consumed_event_pkey" PRIMARY KEY ("consumer","event_id")
);

-- CreateTable
CREATE TABLE "ops_console"."dead_letter" (
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
CREATE TABLE "ops_console"."access_audit" (
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
CREATE INDEX "charge_fact_posted_at_idx" ON "ops_console"."charge_fact"("posted_at");

-- CreateIndex
CREATE INDEX "charge_fact_accession_number_idx" ON "ops_console"."charge_fact"("accession_number");

-- CreateIndex
CREATE INDEX "credit_fact_credited_at_idx" ON "ops_console"."credit_fact"("credited_at");

-- CreateIndex
CREATE INDEX "scan_fact_type_scanned_at_idx" ON "ops_console"."scan_fact"("type", "scanned_at");

-- CreateIndex
CREATE INDEX "scan_fact_slide_barcode_idx" ON "ops_console"."scan_fact"("slide_barcode");

-- CreateIndex
CREATE INDEX "qc_fact_at_idx" ON "ops_console"."qc_fact"("at");

-- CreateIndex
CREATE INDEX "case_version_fact_accession_number_occurred_at_idx" ON "ops_console"."case_version_fact"("accession_number", "occurred_at");

-- CreateIndex
CREATE INDEX "dead_letter_failed_at_idx" ON "ops_console"."dead_letter"("failed_at");

-- CreateIndex
CREATE INDEX "access_audit_at_idx" ON "ops_console"."access_audit"("at");

-- CreateIndex
CREATE INDEX "access_audit_subject_at_idx" ON "ops_console"."access_audit"("subject", "at");

