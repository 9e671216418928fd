-- Beat liveness (djcelery_beatstate) and the monitor's retry links (celery_taskretry).

-- CreateTable
CREATE TABLE "djcelery_beatstate" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "beat_id" TEXT NOT NULL,
    "hostname" TEXT NOT NULL,
    "pid" INTEGER NOT NULL,
    "started" DATETIME NOT NULL,
    "last_tick" DATETIME NOT NULL,
    "max_interval" REAL NOT NULL,
    "version" TEXT NOT NULL,
    "stopped" DATETIME
);

-- CreateTable
CREATE TABLE "celery_taskretry" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "task_id" TEXT NOT NULL,
    "retry_of" TEXT NOT NULL,
    "date_sent" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateIndex
CREATE UNIQUE INDEX "djcelery_beatstate_beat_id_key" ON "djcelery_beatstate"("beat_id");

-- CreateIndex
CREATE INDEX "djcelery_beatstate_last_tick_idx" ON "djcelery_beatstate"("last_tick");

-- CreateIndex
CREATE UNIQUE INDEX "celery_taskretry_task_id_key" ON "celery_taskretry"("task_id");

-- CreateIndex
CREATE INDEX "celery_taskretry_retry_of_idx" ON "celery_taskretry"("retry_of");
