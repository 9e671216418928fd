-- CreateTable
CREATE TABLE "celery_taskmeta" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "task_id" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'PENDING',
    "result" TEXT,
    "date_done" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "traceback" TEXT,
    "hidden" BOOLEAN NOT NULL DEFAULT false,
    "meta" TEXT,
    "name" TEXT,
    "args" TEXT,
    "kwargs" TEXT,
    "worker" TEXT,
    "retries" INTEGER,
    "queue" TEXT,
    "date_created" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "date_started" DATETIME
);

-- CreateTable
CREATE TABLE "celery_tasksetmeta" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "taskset_id" TEXT NOT NULL,
    "result" TEXT NOT NULL,
    "date_done" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "hidden" BOOLEAN NOT NULL DEFAULT false
);

-- CreateTable
CREATE TABLE "djcelery_intervalschedule" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "every" INTEGER NOT NULL,
    "period" TEXT NOT NULL
);

-- CreateTable
CREATE TABLE "djcelery_crontabschedule" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "minute" TEXT NOT NULL DEFAULT '*',
    "hour" TEXT NOT NULL DEFAULT '*',
    "day_of_week" TEXT NOT NULL DEFAULT '*',
    "day_of_month" TEXT NOT NULL DEFAULT '*',
    "month_of_year" TEXT NOT NULL DEFAULT '*',
    "timezone" TEXT NOT NULL DEFAULT 'UTC'
);

-- CreateTable
CREATE TABLE "djcelery_clockedschedule" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "clocked_time" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "djcelery_periodictask" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "name" TEXT NOT NULL,
    "task" TEXT NOT NULL,
    "interval_id" INTEGER,
    "crontab_id" INTEGER,
    "clocked_id" INTEGER,
    "args" TEXT NOT NULL DEFAULT '[]',
    "kwargs" TEXT NOT NULL DEFAULT '{}',
    "queue" TEXT,
    "exchange" TEXT,
    "routing_key" TEXT,
    "headers" TEXT NOT NULL DEFAULT '{}',
    "priority" INTEGER,
    "expires" DATETIME,
    "expire_seconds" INTEGER,
    "one_off" BOOLEAN NOT NULL DEFAULT false,
    "start_time" DATETIME,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "last_run_at" DATETIME,
    "total_run_count" INTEGER NOT NULL DEFAULT 0,
    "next_run_at" DATETIME,
    "date_changed" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "description" TEXT NOT NULL DEFAULT '',
    CONSTRAINT "djcelery_periodictask_interval_id_fkey" FOREIGN KEY ("interval_id") REFERENCES "djcelery_intervalschedule" ("id") ON DELETE SET NULL ON UPDATE CASCADE,
    CONSTRAINT "djcelery_periodictask_crontab_id_fkey" FOREIGN KEY ("crontab_id") REFERENCES "djcelery_crontabschedule" ("id") ON DELETE SET NULL ON UPDATE CASCADE,
    CONSTRAINT "djcelery_periodictask_clocked_id_fkey" FOREIGN KEY ("clocked_id") REFERENCES "djcelery_clockedschedule" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "djcelery_periodictasks" (
    "ident" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "last_update" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "djcelery_workerstate" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "hostname" TEXT NOT NULL,
    "last_heartbeat" DATETIME
);

-- CreateTable
CREATE TABLE "djcelery_taskstate" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "state" TEXT NOT NULL,
    "task_id" TEXT NOT NULL,
    "name" TEXT,
    "tstamp" DATETIME NOT NULL,
    "args" TEXT,
    "kwargs" TEXT,
    "eta" DATETIME,
    "expires" DATETIME,
    "result" TEXT,
    "traceback" TEXT,
    "runtime" REAL,
    "retries" INTEGER NOT NULL DEFAULT 0,
    "worker_id" INTEGER,
    "hidden" BOOLEAN NOT NULL DEFAULT false,
    CONSTRAINT "djcelery_taskstate_worker_id_fkey" FOREIGN KEY ("worker_id") REFERENCES "djcelery_workerstate" ("id") ON DELETE SET NULL ON UPDATE CASCADE
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
