-- AlterTable
ALTER TABLE "accession"."case" ADD COLUMN     "ordering_provider_npi" TEXT,
ADD COLUMN     "patient_administrative_sex" TEXT,
ADD COLUMN     "patient_birth_date" DATE,
ADD COLUMN     "patient_family_name" TEXT,
ADD COLUMN     "patient_given_name" TEXT,
ADD COLUMN     "patient_identifier_authority" TEXT;

-- AlterTable
ALTER TABLE "accession"."specimen" ADD COLUMN     "retrieved_from_storage_date" DATE;

