-- DropIndex
DROP INDEX "djcelery_taskstate_tstamp_idx";

-- DropIndex
DROP INDEX "djcelery_taskstate_worker_id_idx";

-- CreateIndex
CREATE INDEX "djcelery_taskstate_tstamp_state_hidden_retries_idx" ON "djcelery_taskstate"("tstamp", "state", "hidden", "retries");

-- CreateIndex
CREATE INDEX "djcelery_taskstate_worker_id_tstamp_idx" ON "djcelery_taskstate"("worker_id", "tstamp");
