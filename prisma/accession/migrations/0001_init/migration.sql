-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "accession";

-- CreateTable
CREATE TABLE "accession"."case" (
    "accession_number" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'active',
    "version" INTEGER NOT NULL,
    "patient_id" TEXT NOT NULL,
    "payer_id" TEXT NOT NULL,
    "payer_name" TEXT,
    "payer_plan" TEXT,
    "collection_date" DATE NOT NULL,
    "ordering_provider" TEXT,
    "diagnoses" TEXT[],
    "cancel_reason" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "case_pkey" PRIMARY KEY ("accession_number")
);

-- CreateTable
CREATE TABLE "accession"."specimen" (
    "accession_number" TEXT NOT NULL,
    "specimen_id" TEXT NOT NULL,
    "description" TEXT,
    "primary_cpt" TEXT NOT NULL,
    "units" INTEGER NOT NULL,

    CONSTRAINT "specimen_pkey" PRIMARY KEY ("accession_number","specimen_id")
);

-- CreateTable
CREATE TABLE "accession"."slide" (
    "accession_number" TEXT NOT NULL,
    "barcode" TEXT NOT NULL,
    "specimen_id" TEXT NOT NULL,
    "block" TEXT,
    "stain" TEXT,
    "case_active" BOOLEAN NOT NULL DEFAULT true,

    CONSTRAINT "slide_pkey" PRIMARY KEY ("accession_number","barcode")
);

-- CreateTable
CREATE TABLE "accession"."outbox" (
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

-- CreateIndex
CREATE INDEX "case_created_at_accession_number_idx" ON "accession"."case"("created_at" DESC, "accession_number" DESC);

-- CreateIndex
CREATE INDEX "case_status_created_at_accession_number_idx" ON "accession"."case"("status", "created_at" DESC, "accession_number" DESC);

-- CreateIndex
CREATE UNIQUE INDEX "outbox_seq_key" ON "accession"."outbox"("seq");

-- CreateIndex
CREATE INDEX "outbox_published_at_seq_idx" ON "accession"."outbox"("published_at", "seq");

-- AddForeignKey
ALTER TABLE "accession"."specimen" ADD CONSTRAINT "specimen_accession_number_fkey" FOREIGN KEY ("accession_number") REFERENCES "accession"."case"("accession_number") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "accession"."slide" ADD CONSTRAINT "slide_accession_number_specimen_id_fkey" FOREIGN KEY ("accession_number", "specimen_id") REFERENCES "accession"."specimen"("accession_number", "specimen_id") ON DELETE CASCADE ON UPDATE CASCADE;


-- Hand-written (Prisma 6 cannot declare these in schema.prisma, so keep them when regenerating).
-- a slide barcode belongs to at most one active case, and a cancelled case's slides no longer hold it.
CREATE UNIQUE INDEX "slide_active_barcode_key" ON "accession"."slide"("barcode") WHERE "case_active";

ALTER TABLE "accession"."case" ALTER COLUMN "diagnoses" SET NOT NULL;
ALTER TABLE "accession"."case" ALTER COLUMN "diagnoses" SET DEFAULT ARRAY[]::TEXT[];
ALTER TABLE "accession"."case" ADD CONSTRAINT "case_status_check" CHECK ("status" IN ('active', 'cancelled'));
ALTER TABLE "accession"."case" ADD CONSTRAINT "case_version_check" CHECK ("version" >= 1);
ALTER TABLE "accession"."specimen" ADD CONSTRAINT "specimen_units_check" CHECK ("units" >= 1);
