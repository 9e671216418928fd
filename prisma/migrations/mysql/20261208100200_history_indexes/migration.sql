-- The monitor's history charts: one index covers counts by time, state and
-- retries (and still serves cleanup's time ranges), another a worker's rows
-- in a time range. The new indexes come first: the worker_id foreign key
-- needs an index on its column at every step.

-- CreateIndex
CREATE INDEX `djcelery_taskstate_tstamp_state_hidden_retries_idx` ON `djcelery_taskstate`(`tstamp`, `state`, `hidden`, `retries`);

-- CreateIndex
CREATE INDEX `djcelery_taskstate_worker_id_tstamp_idx` ON `djcelery_taskstate`(`worker_id`, `tstamp`);

-- DropIndex
DROP INDEX `djcelery_taskstate_tstamp_idx` ON `djcelery_taskstate`;

-- DropIndex
DROP INDEX `djcelery_taskstate_worker_id_idx` ON `djcelery_taskstate`;
