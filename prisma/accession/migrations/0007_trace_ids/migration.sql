-- W3C trace id of the request or HL7 message that wrote a case's current version (docs/operations.md, "Tracing").
ALTER TABLE "accession"."case" ADD COLUMN "trace_id" TEXT;
