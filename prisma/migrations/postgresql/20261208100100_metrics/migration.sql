-- How late the last run each beat sent was (beat writes it with its heartbeat), for
-- /metrics' celery_beat_lag_seconds.
-- AlterTable
ALTER TABLE "djcelery_beatstate" ADD COLUMN     "send_lag" DOUBLE PRECISION;
