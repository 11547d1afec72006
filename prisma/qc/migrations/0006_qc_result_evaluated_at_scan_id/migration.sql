-- CreateIndex
CREATE INDEX "qc_result_evaluated_at_scan_id_idx" ON "qc"."qc_result"("evaluated_at" DESC, "scan_id" DESC);

