-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "qc";

-- CreateTable
CREATE TABLE "qc"."qc_result" (
    "scan_id" TEXT NOT NULL,
    "slide_barcode" TEXT NOT NULL,
    "scan_event_id" TEXT NOT NULL,
    "passed" BOOLEAN NOT NULL,
    "reasons" JSONB NOT NULL,
    "checks" JSONB NOT NULL,
    "rules_version" TEXT NOT NULL,
    "evaluated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "qc_result_pkey" PRIMARY KEY ("scan_id")
);

-- CreateTable
CREATE TABLE "qc"."outbox" (
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
CREATE TABLE "qc"."consumed_event" (
    "consumer" TEXT NOT NULL,
    "event_id" TEXT NOT NULL,
    "topic" TEXT NOT NULL,
    "consumed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "consumed_event_pkey" PRIMARY KEY ("consumer","event_id")
);

-- CreateIndex
CREATE INDEX "qc_result_passed_evaluated_at_scan_id_idx" ON "qc"."qc_result"("passed", "evaluated_at" DESC, "scan_id" DESC);

-- CreateIndex
CREATE INDEX "qc_result_slide_barcode_evaluated_at_idx" ON "qc"."qc_result"("slide_barcode", "evaluated_at" DESC);

-- CreateIndex
CREATE UNIQUE INDEX "outbox_seq_key" ON "qc"."outbox"("seq");

-- CreateIndex
CREATE INDEX "outbox_published_at_seq_idx" ON "qc"."outbox"("published_at", "seq");

