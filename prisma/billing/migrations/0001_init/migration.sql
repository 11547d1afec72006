-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "billing";

-- CreateTable
CREATE TABLE "billing"."billing_case" (
    "accession_number" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "status" TEXT NOT NULL,
    "patient_id" TEXT NOT NULL,
    "payer_id" TEXT NOT NULL,
    "collection_date" DATE NOT NULL,
    "diagnoses" TEXT[],
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "billing_case_pkey" PRIMARY KEY ("accession_number")
);

-- CreateTable
CREATE TABLE "billing"."billing_specimen" (
    "accession_number" TEXT NOT NULL,
    "specimen_id" TEXT NOT NULL,
    "primary_cpt" TEXT NOT NULL,
    "units" INTEGER NOT NULL,

    CONSTRAINT "billing_specimen_pkey" PRIMARY KEY ("accession_number","specimen_id")
);

-- CreateTable
CREATE TABLE "billing"."billing_slide" (
    "barcode" TEXT NOT NULL,
    "accession_number" TEXT NOT NULL,
    "specimen_id" TEXT NOT NULL,

    CONSTRAINT "billing_slide_pkey" PRIMARY KEY ("barcode")
);

-- CreateTable
CREATE TABLE "billing"."scan" (
    "scan_id" TEXT NOT NULL,
    "slide_barcode" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "purpose" TEXT NOT NULL,
    "scanner_id" TEXT NOT NULL,
    "scanned_at" TIMESTAMPTZ(3) NOT NULL,
    "source_event_id" TEXT NOT NULL,
    "received_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "scan_pkey" PRIMARY KEY ("scan_id")
);

-- CreateTable
CREATE TABLE "billing"."qc_outcome" (
    "scan_id" TEXT NOT NULL,
    "source_event_id" TEXT NOT NULL,
    "slide_barcode" TEXT NOT NULL,
    "passed" BOOLEAN NOT NULL,
    "reasons" TEXT[],
    "rules_version" TEXT NOT NULL,
    "recorded_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "qc_outcome_pkey" PRIMARY KEY ("scan_id","source_event_id")
);

-- CreateTable
CREATE TABLE "billing"."charge" (
    "charge_id" UUID NOT NULL,
    "charge_key" TEXT NOT NULL,
    "accession_number" TEXT NOT NULL,
    "specimen_id" TEXT NOT NULL,
    "code" TEXT NOT NULL,
    "primary_code" TEXT NOT NULL,
    "units" INTEGER NOT NULL,
    "date_of_service" DATE NOT NULL,
    "patient_id" TEXT NOT NULL,
    "payer_id" TEXT NOT NULL,
    "diagnoses" TEXT[],
    "slide_barcodes" TEXT[],
    "scan_ids" TEXT[],
    "caused_by" TEXT[],
    "trace" JSONB NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'posted',
    "created_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "charge_pkey" PRIMARY KEY ("charge_id")
);

-- CreateTable
CREATE TABLE "billing"."outbox" (
    "id" UUID NOT NULL,
    "seq" BIGSERIAL NOT NULL,
    "topic" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "payload" JSONB NOT NULL,
    "headers" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "published_at" TIMESTAMPTZ(3),
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "last_error" TEXT,

    CONSTRAINT "outbox_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "billing"."consumed_event" (
    "consumer" TEXT NOT NULL,
    "event_id" TEXT NOT NULL,
    "topic" TEXT NOT NULL,
    "consumed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "consumed_event_pkey" PRIMARY KEY ("consumer","event_id")
);

-- CreateIndex
CREATE INDEX "billing_slide_accession_number_idx" ON "billing"."billing_slide"("accession_number");

-- CreateIndex
CREATE INDEX "scan_slide_barcode_idx" ON "billing"."scan"("slide_barcode");

-- CreateIndex
CREATE INDEX "scan_status_scanned_at_idx" ON "billing"."scan"("status", "scanned_at");

-- CreateIndex
CREATE UNIQUE INDEX "charge_charge_key_key" ON "billing"."charge"("charge_key");

-- CreateIndex
CREATE INDEX "charge_accession_number_idx" ON "billing"."charge"("accession_number");

-- CreateIndex
CREATE INDEX "charge_created_at_charge_id_idx" ON "billing"."charge"("created_at", "charge_id");

-- CreateIndex
CREATE UNIQUE INDEX "outbox_seq_key" ON "billing"."outbox"("seq");

-- CreateIndex
CREATE INDEX "outbox_published_at_seq_idx" ON "billing"."outbox"("published_at", "seq");

-- AddForeignKey
ALTER TABLE "billing"."billing_specimen" ADD CONSTRAINT "billing_specimen_accession_number_fkey" FOREIGN KEY ("accession_number") REFERENCES "billing"."billing_case"("accession_number") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "billing"."billing_slide" ADD CONSTRAINT "billing_slide_accession_number_specimen_id_fkey" FOREIGN KEY ("accession_number", "specimen_id") REFERENCES "billing"."billing_specimen"("accession_number", "specimen_id") ON DELETE CASCADE ON UPDATE CASCADE;

