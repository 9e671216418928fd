-- For /metrics: how late the last run each beat sent was (beat writes it
-- with its heartbeat), and indexes that cover its counts of tasks by name
-- and state and of results by status (each replaces an index it starts
-- with, so writes keep the same number of indexes to maintain). The new
-- indexes are made before the old ones go.
ALTER TABLE "djcelery_beatstate" ADD COLUMN "send_lag" DOUBLE PRECISION;

CREATE INDEX "celery_taskmeta_status_hidden_idx" ON "celery_taskmeta"("status", "hidden");
DROP INDEX "celery_taskmeta_status_idx";

CREATE INDEX "djcelery_taskstate_name_state_hidden_idx" ON "djcelery_taskstate"("name", "state", "hidden");
DROP INDEX "djcelery_taskstate_name_idx";
