-- Beat liveness (djcelery_beatstate) and the monitor's retry links (celery_taskretry).

-- CreateTable
CREATE TABLE "djcelery_beatstate" (
    "id" SERIAL NOT NULL,
    "beat_id" VARCHAR(255) NOT NULL,
    "hostname" VARCHAR(255) NOT NULL,
    "pid" INTEGER NOT NULL,
    "started" TIMESTAMPTZ(3) NOT NULL,
    "last_tick" TIMESTAMPTZ(3) NOT NULL,
    "max_interval" DOUBLE PRECISION NOT NULL,
    "version" VARCHAR(255) NOT NULL,
    "stopped" TIMESTAMPTZ(3),

    CONSTRAINT "djcelery_beatstate_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "celery_taskretry" (
    "id" SERIAL NOT NULL,
    "task_id" VARCHAR(255) NOT NULL,
    "retry_of" VARCHAR(255) NOT NULL,
    "date_sent" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "celery_taskretry_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "djcelery_beatstate_beat_id_key" ON "djcelery_beatstate"("beat_id");

-- CreateIndex
CREATE INDEX "djcelery_beatstate_last_tick_idx" ON "djcelery_beatstate"("last_tick");

-- CreateIndex
CREATE UNIQUE INDEX "celery_taskretry_task_id_key" ON "celery_taskretry"("task_id");

-- CreateIndex
CREATE INDEX "celery_taskretry_retry_of_idx" ON "celery_taskretry"("retry_of");
