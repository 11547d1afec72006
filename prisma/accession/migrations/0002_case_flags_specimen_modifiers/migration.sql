-- AlterTable
ALTER TABLE "accession"."case" ADD COLUMN     "abn_on_file" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "digital_sign_out" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "physician_office" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "reduced_service" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "research_study" BOOLEAN NOT NULL DEFAULT false;

-- AlterTable
ALTER TABLE "accession"."specimen" ADD COLUMN     "diagnosis_pointers" INTEGER[] DEFAULT ARRAY[]::INTEGER[],
ADD COLUMN     "modifiers" TEXT[] DEFAULT ARRAY[]::TEXT[];


-- Hand-written (keep when regenerating). Existing rows: every flag false (= not set), no modifiers and
-- no diagnosis pointers (the defaults fill them, and billing then uses the first four diagnoses).
-- No semicolons in comments: the WebAssembly migration engine splits the script at every one.
ALTER TABLE "accession"."specimen" ALTER COLUMN "modifiers" SET NOT NULL;
ALTER TABLE "accession"."specimen" ALTER COLUMN "diagnosis_pointers" SET NOT NULL;
