-- AlterTable
ALTER TABLE "accession"."case" ADD COLUMN     "ordering_provider_npi" TEXT,
ADD COLUMN     "patient_administrative_sex" TEXT,
ADD COLUMN     "patient_birth_date" DATE,
ADD COLUMN     "patient_family_name" TEXT,
ADD COLUMN     "patient_given_name" TEXT,
ADD COLUMN     "patient_identifier_authority" TEXT;

-- AlterTable
ALTER TABLE "accession"."specimen" ADD COLUMN     "retrieved_from_storage_date" DATE;

-- CreateTable
CREATE TABLE "accession"."slide_move" (
    "id" BIGSERIAL NOT NULL,
    "moved_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "barcode" TEXT NOT NULL,
    "from_accession_number" TEXT NOT NULL,
    "from_specimen_id" TEXT NOT NULL,
    "from_version" INTEGER NOT NULL,
    "to_accession_number" TEXT NOT NULL,
    "to_specimen_id" TEXT NOT NULL,
    "to_version" INTEGER NOT NULL,
    "via" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "actor" TEXT NOT NULL,

    CONSTRAINT "slide_move_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "slide_move_barcode_moved_at_idx" ON "accession"."slide_move"("barcode", "moved_at" DESC);

-- CreateIndex
CREATE INDEX "slide_move_from_accession_number_idx" ON "accession"."slide_move"("from_accession_number");

-- CreateIndex
CREATE INDEX "slide_move_to_accession_number_idx" ON "accession"."slide_move"("to_accession_number");

