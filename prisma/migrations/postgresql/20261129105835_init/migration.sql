-- CreateTable
CREATE TABLE "celery_taskmeta" (
    "id" SERIAL NOT NULL,
    "task_id" VARCHAR(255) NOT NULL,
    "status" VARCHAR(255) NOT NULL DEFAULT 'PENDING',
    "result" TEXT,
    "date_done" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "traceback" TEXT,
    "hidden" BOOLEAN NOT NULL DEFAULT false,
    "meta" TEXT,
    "name" VARCHAR(255),
    "args" TEXT,
    "kwargs" TEXT,
    "worker" VARCHAR(255),
    "retries" INTEGER,
    "queue" VARCHAR(255),
    "date_created" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "date_started" TIMESTAMPTZ(3),

    CONSTRAINT "celery_taskmeta_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "celery_tasksetmeta" (
    "id" SERIAL NOT NULL,
    "taskset_id" VARCHAR(255) NOT NULL,
    "result" TEXT NOT NULL,
    "date_done" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "hidden" BOOLEAN NOT NULL DEFAULT false,

    CONSTRAINT "celery_tasksetmeta_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "djcelery_intervalschedule" (
    "id" SERIAL NOT NULL,
    "every" INTEGER NOT NULL,
    "period" VARCHAR(255) NOT NULL,

    CONSTRAINT "djcelery_intervalschedule_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "djcelery_crontabschedule" (
    "id" SERIAL NOT NULL,
    "minute" VARCHAR(255) NOT NULL DEFAULT '*',
    "hour" VARCHAR(255) NOT NULL DEFAULT '*',
    "day_of_week" VARCHAR(255) NOT NULL DEFAULT '*',
    "day_of_month" VARCHAR(255) NOT NULL DEFAULT '*',
    "month_of_year" VARCHAR(255) NOT NULL DEFAULT '*',
    "timezone" VARCHAR(255) NOT NULL DEFAULT 'UTC',

    CONSTRAINT "djcelery_crontabschedule_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "djcelery_clockedschedule" (
    "id" SERIAL NOT NULL,
    "clocked_time" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "djcelery_clockedschedule_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "djcelery_periodictask" (
    "id" SERIAL NOT NULL,
    "name" VARCHAR(255) NOT NULL,
    "task" VARCHAR(255) NOT NULL,
    "interval_id" INTEGER,
    "crontab_id" INTEGER,
    "clocked_id" INTEGER,
    "args" TEXT NOT NULL DEFAULT '[]',
    "kwargs" TEXT NOT NULL DEFAULT '{}',
    "queue" VARCHAR(255),
    "exchange" VARCHAR(255),
    "routing_key" VARCHAR(255),
    "headers" TEXT NOT NULL DEFAULT '{}',
    "priority" INTEGER,
    "expires" TIMESTAMPTZ(3),
    "expire_seconds" INTEGER,
    "one_off" BOOLEAN NOT NULL DEFAULT false,
    "start_time" TIMESTAMPTZ(3),
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "last_run_at" TIMESTAMPTZ(3),
    "total_run_count" INTEGER NOT NULL DEFAULT 0,
    "next_run_at" TIMESTAMPTZ(3),
    "date_changed" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "description" TEXT NOT NULL DEFAULT '',

    CONSTRAINT "djcelery_periodictask_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "djcelery_periodictasks" (
    "ident" INTEGER NOT NULL,
    "last_update" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "djcelery_periodictasks_pkey" PRIMARY KEY ("ident")
);

-- CreateTable
CREATE TABLE "djcelery_workerstate" (
    "id" SERIAL NOT NULL,
    "hostname" VARCHAR(255) NOT NULL,
    "last_heartbeat" TIMESTAMPTZ(3),

    CONSTRAINT "djcelery_workerstate_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "djcelery_taskstate" (
    "id" SERIAL NOT NULL,
    "state" VARCHAR(255) NOT NULL,
    "task_id" VARCHAR(255) NOT NULL,
    "name" VARCHAR(255),
    "tstamp" TIMESTAMPTZ(3) NOT NULL,
    "args" TEXT,
    "kwargs" TEXT,
    "eta" TIMESTAMPTZ(3),
    "expires" TIMESTAMPTZ(3),
    "result" TEXT,
    "traceback" TEXT,
    "runtime" DOUBLE PRECISION,
    "retries" INTEGER NOT NULL DEFAULT 0,
    "worker_id" INTEGER,
    "hidden" BOOLEAN NOT NULL DEFAULT false,

    CONSTRAINT "djcelery_taskstate_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "celery_taskmeta_task_id_key" ON "celery_taskmeta"("task_id");

-- CreateIndex
CREATE INDEX "celery_taskmeta_date_done_idx" ON "celery_taskmeta"("date_done");

-- CreateIndex
CREATE INDEX "celery_taskmeta_hidden_idx" ON "celery_taskmeta"("hidden");

-- CreateIndex
CREATE INDEX "celery_taskmeta_status_idx" ON "celery_taskmeta"("status");

-- CreateIndex
CREATE UNIQUE INDEX "celery_tasksetmeta_taskset_id_key" ON "celery_tasksetmeta"("taskset_id");

-- CreateIndex
CREATE INDEX "celery_tasksetmeta_date_done_idx" ON "celery_tasksetmeta"("date_done");

-- CreateIndex
CREATE INDEX "celery_tasksetmeta_hidden_idx" ON "celery_tasksetmeta"("hidden");

-- CreateIndex
CREATE UNIQUE INDEX "djcelery_intervalschedule_every_period_key" ON "djcelery_intervalschedule"("every", "period");

-- CreateIndex
CREATE UNIQUE INDEX "djcelery_periodictask_name_key" ON "djcelery_periodictask"("name");

-- CreateIndex
CREATE INDEX "djcelery_periodictask_interval_id_idx" ON "djcelery_periodictask"("interval_id");

-- CreateIndex
CREATE INDEX "djcelery_periodictask_crontab_id_idx" ON "djcelery_periodictask"("crontab_id");

-- CreateIndex
CREATE INDEX "djcelery_periodictask_clocked_id_idx" ON "djcelery_periodictask"("clocked_id");

-- CreateIndex
CREATE INDEX "djcelery_periodictask_enabled_next_run_at_idx" ON "djcelery_periodictask"("enabled", "next_run_at");

-- CreateIndex
CREATE INDEX "djcelery_periodictask_date_changed_idx" ON "djcelery_periodictask"("date_changed");

-- CreateIndex
CREATE UNIQUE INDEX "djcelery_workerstate_hostname_key" ON "djcelery_workerstate"("hostname");

-- CreateIndex
CREATE INDEX "djcelery_workerstate_last_heartbeat_idx" ON "djcelery_workerstate"("last_heartbeat");

-- CreateIndex
CREATE UNIQUE INDEX "djcelery_taskstate_task_id_key" ON "djcelery_taskstate"("task_id");

-- CreateIndex
CREATE INDEX "djcelery_taskstate_state_tstamp_idx" ON "djcelery_taskstate"("state", "tstamp");

-- CreateIndex
CREATE INDEX "djcelery_taskstate_tstamp_idx" ON "djcelery_taskstate"("tstamp");

-- CreateIndex
CREATE INDEX "djcelery_taskstate_name_idx" ON "djcelery_taskstate"("name");

-- CreateIndex
CREATE INDEX "djcelery_taskstate_worker_id_idx" ON "djcelery_taskstate"("worker_id");

-- CreateIndex
CREATE INDEX "djcelery_taskstate_hidden_idx" ON "djcelery_taskstate"("hidden");

-- AddForeignKey
ALTER TABLE "djcelery_periodictask" ADD CONSTRAINT "djcelery_periodictask_interval_id_fkey" FOREIGN KEY ("interval_id") REFERENCES "djcelery_intervalschedule"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "djcelery_periodictask" ADD CONSTRAINT "djcelery_periodictask_crontab_id_fkey" FOREIGN KEY ("crontab_id") REFERENCES "djcelery_crontabschedule"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "djcelery_periodictask" ADD CONSTRAINT "djcelery_periodictask_clocked_id_fkey" FOREIGN KEY ("clocked_id") REFERENCES "djcelery_clockedschedule"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "djcelery_taskstate" ADD CONSTRAINT "djcelery_taskstate_worker_id_fkey" FOREIGN KEY ("worker_id") REFERENCES "djcelery_workerstate"("id") ON DELETE SET NULL ON UPDATE CASCADE;
