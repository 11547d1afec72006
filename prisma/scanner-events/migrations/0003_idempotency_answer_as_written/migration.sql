-- AlterTable
ALTER TABLE "scanner"."idempotency_key" ALTER COLUMN "response_body" SET DATA TYPE JSON;

