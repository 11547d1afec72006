-- CreateIndex
CREATE INDEX "charge_fact_scan_ids_idx" ON "ops_console"."charge_fact" USING GIN ("scan_ids");

