-- AlterTable
ALTER TABLE "qc"."outbox" ADD COLUMN     "parked_at" TIMESTAMPTZ(3);

-- CreateTable
CREATE TABLE "qc"."dead_letter" (
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

-- CreateIndex
CREATE INDEX "dead_letter_failed_at_idx" ON "qc"."dead_letter"("failed_at");

