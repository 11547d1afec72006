-- W3C trace id of the request or ingress message that brought a scan event (docs/operations.md, "Tracing").
ALTER TABLE "scanner"."scan_event_receipt" ADD COLUMN "trace_id" TEXT;
