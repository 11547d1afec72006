-- W3C trace id of the scan event a verdict judged (docs/operations.md, "Tracing").
ALTER TABLE "qc"."qc_result" ADD COLUMN "trace_id" TEXT;
