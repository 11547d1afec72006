-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "scanner";

-- CreateTable
CREATE TABLE "scanner"."scan_event_receipt" (
    "event_id" TEXT NOT NULL,
    "scan_id" TEXT NOT NULL,
    "slide_barcode" TEXT NOT NULL,
    "event_type" TEXT NOT NULL,
    "scanner_id" TEXT NOT NULL,
    "occurred_at" TIMESTAMPTZ(3) NOT NULL,
    "received_via" TEXT NOT NULL,
    "received_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "payload" JSONB NOT NULL,

    CONSTRAINT "scan_event_receipt_pkey" PRIMARY KEY ("event_id")
);

-- CreateTable
CREATE TABLE "scanner"."outbox" (
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
CREATE TABLE "scanner"."consumed_event" (
    "consumer" TEXT NOT NULL,
    "event_id" TEXT NOT NULL,
    "topic" TEXT NOT NULL,
    "consumed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "consumed_event_pkey" PRIMARY KEY ("consumer","event_id")
);

-- CreateIndex
CREATE INDEX "scan_event_receipt_slide_barcode_occurred_at_idx" ON "scanner"."scan_event_receipt"("slide_barcode", "occurred_at" DESC);

-- CreateIndex
CREATE UNIQUE INDEX "outbox_seq_key" ON "scanner"."outbox"("seq");

-- CreateIndex
CREATE INDEX "outbox_published_at_seq_idx" ON "scanner"."outbox"("published_at", "seq");

