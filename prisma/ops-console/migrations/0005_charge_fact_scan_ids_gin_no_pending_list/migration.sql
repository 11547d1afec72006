-- The GIN index on charge_fact.scan_ids is probed once per completed scan of every batch the projection
-- applies (the charges of a scan: scan_ids @> ARRAY[scan]). With GIN's fast update on (the default), new
-- entries wait in a pending list that every probe reads in full until a vacuum moves them into the index,
-- and the pending list grows to gin_pending_list_limit (4 MB) before an insert flushes it: measured on a
-- benchmark database, 2.4 ms per probe, 0.5 s of Postgres CPU for a batch of 200 scans (0.01 ms per probe
-- without it). Charges are written far less often than scans are probed, so entries go into the index at
-- insert time, and what is pending now is moved there.
ALTER INDEX "ops_console"."charge_fact_scan_ids_idx" SET (fastupdate = off);
SELECT gin_clean_pending_list('"ops_console"."charge_fact_scan_ids_idx"'::regclass);
