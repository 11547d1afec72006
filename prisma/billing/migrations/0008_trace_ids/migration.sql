-- W3C trace id of the event whose handling decided a charge or reversed it (docs/operations.md, "Tracing").
ALTER TABLE "billing"."charge" ADD COLUMN "trace_id" TEXT;
ALTER TABLE "billing"."credit" ADD COLUMN "trace_id" TEXT;
