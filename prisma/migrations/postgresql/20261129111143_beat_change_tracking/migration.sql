-- AlterTable
ALTER TABLE "djcelery_periodictask" ADD COLUMN     "change_version" INTEGER NOT NULL DEFAULT 0;

-- AlterTable
ALTER TABLE "djcelery_periodictasks" ADD COLUMN     "version" INTEGER NOT NULL DEFAULT 0;

-- CreateTable
CREATE TABLE "djcelery_periodictask_deleted" (
    "id" SERIAL NOT NULL,
    "version" INTEGER NOT NULL,
    "periodic_task_id" INTEGER NOT NULL,
    "name" VARCHAR(255) NOT NULL,
    "deleted_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "djcelery_periodictask_deleted_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "djcelery_periodictask_deleted_version_idx" ON "djcelery_periodictask_deleted"("version");

-- CreateIndex
CREATE INDEX "djcelery_periodictask_deleted_deleted_at_idx" ON "djcelery_periodictask_deleted"("deleted_at");

-- CreateIndex
CREATE INDEX "djcelery_periodictask_change_version_idx" ON "djcelery_periodictask"("change_version");

-- Change tracking for beat (DatabaseScheduler).
--
-- djcelery_periodictasks (ident 1) is the change marker: `version` counts
-- every change to a periodic task that beat must see, and each changed row
-- gets that count in `change_version`. The marker row is locked by the
-- change until its transaction commits, so versions become visible in
-- order: once beat reads version V, every row stamped with V or less is
-- committed. Beat polls the one marker row and re-reads only the rows with
-- change_version above what it has seen; deleted rows are listed in
-- djcelery_periodictask_deleted.
--
-- What counts as a change: an INSERT; a DELETE; an UPDATE that changes a
-- column beat does not own (name, task, schedule ids, args, kwargs, queue,
-- exchange, routing_key, headers, description, priority, expires,
-- expire_seconds, one_off, start_time, enabled), or that changes
-- last_run_at/total_run_count other than by beat's own claim (which always
-- adds exactly 1 to total_run_count); an UPDATE that sets change_version to
-- 0 (a "touch": beat re-reads the row). An edit of an interval, crontab or
-- clocked row, or its deletion, touches the periodic tasks that use it.
-- Beat's claims (last_run_at, total_run_count + 1, next_run_at) are not
-- changes: several beats never make each other re-read anything.
--
-- These triggers are SQL's part of the API's guarantee "every write bumps
-- the marker in the same transaction", and make raw SQL edits (psql, Prisma
-- Studio, a Django admin) visible to a running beat within its poll.
-- NOTE for later migrations: a SQLite migration that redefines
-- djcelery_periodictask (CREATE new_…, DROP, RENAME) drops its triggers;
-- it must create them again (tests/integration/scheduler-triggers.test.ts
-- fails if they are missing).

-- The marker row, if the table has none yet.
INSERT INTO "djcelery_periodictasks" ("ident", "last_update", "version") VALUES (1, CURRENT_TIMESTAMP, 0)
    ON CONFLICT ("ident") DO NOTHING;

-- Advances the marker and returns the new version. The row lock it takes
-- is held to the end of the transaction. SET search_path FROM CURRENT: the
-- tables are found in this schema whatever the calling session's path.
CREATE FUNCTION "djcelery_periodictasks_bump"() RETURNS integer
LANGUAGE sql SET search_path FROM CURRENT AS $$
    INSERT INTO "djcelery_periodictasks" ("ident", "last_update", "version") VALUES (1, CURRENT_TIMESTAMP, 1)
    ON CONFLICT ("ident") DO UPDATE SET "version" = "djcelery_periodictasks"."version" + 1, "last_update" = EXCLUDED."last_update"
    RETURNING "version";
$$;

CREATE FUNCTION "djcelery_periodictask_stamp"() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    NEW."change_version" := "djcelery_periodictasks_bump"();
    IF TG_OP = 'UPDATE' THEN
        NEW."date_changed" := CURRENT_TIMESTAMP;
    END IF;
    RETURN NEW;
END;
$$;

CREATE FUNCTION "djcelery_periodictask_log_deletion"() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    INSERT INTO "djcelery_periodictask_deleted" ("version", "periodic_task_id", "name", "deleted_at")
        VALUES ("djcelery_periodictasks_bump"(), OLD."id", OLD."name", CURRENT_TIMESTAMP);
    RETURN OLD;
END;
$$;

-- Touches (change_version = 0) the periodic tasks of an edited or deleted
-- schedule row; their own trigger then stamps them. TG_ARGV[0] names the
-- referencing column.
CREATE FUNCTION "djcelery_schedule_touch_tasks"() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    EXECUTE format('UPDATE "djcelery_periodictask" SET "change_version" = 0 WHERE %I = $1', TG_ARGV[0]) USING OLD."id";
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER "djcelery_periodictask_inserted" BEFORE INSERT ON "djcelery_periodictask"
FOR EACH ROW EXECUTE FUNCTION "djcelery_periodictask_stamp"();

CREATE TRIGGER "djcelery_periodictask_updated" BEFORE UPDATE ON "djcelery_periodictask"
FOR EACH ROW WHEN (NEW."change_version" <= 0
    OR (NEW."change_version" = OLD."change_version" AND (
        OLD."name" IS DISTINCT FROM NEW."name"
        OR OLD."task" IS DISTINCT FROM NEW."task"
        OR OLD."args" IS DISTINCT FROM NEW."args"
        OR OLD."kwargs" IS DISTINCT FROM NEW."kwargs"
        OR OLD."queue" IS DISTINCT FROM NEW."queue"
        OR OLD."exchange" IS DISTINCT FROM NEW."exchange"
        OR OLD."routing_key" IS DISTINCT FROM NEW."routing_key"
        OR OLD."headers" IS DISTINCT FROM NEW."headers"
        OR OLD."description" IS DISTINCT FROM NEW."description"
        OR OLD."interval_id" IS DISTINCT FROM NEW."interval_id"
        OR OLD."crontab_id" IS DISTINCT FROM NEW."crontab_id"
        OR OLD."clocked_id" IS DISTINCT FROM NEW."clocked_id"
        OR OLD."priority" IS DISTINCT FROM NEW."priority"
        OR OLD."expires" IS DISTINCT FROM NEW."expires"
        OR OLD."expire_seconds" IS DISTINCT FROM NEW."expire_seconds"
        OR OLD."one_off" IS DISTINCT FROM NEW."one_off"
        OR OLD."start_time" IS DISTINCT FROM NEW."start_time"
        OR OLD."enabled" IS DISTINCT FROM NEW."enabled"
        OR ((OLD."last_run_at" IS DISTINCT FROM NEW."last_run_at" OR OLD."total_run_count" IS DISTINCT FROM NEW."total_run_count")
            AND NEW."total_run_count" <> OLD."total_run_count" + 1))))
EXECUTE FUNCTION "djcelery_periodictask_stamp"();

CREATE TRIGGER "djcelery_periodictask_deleted_log" AFTER DELETE ON "djcelery_periodictask"
FOR EACH ROW EXECUTE FUNCTION "djcelery_periodictask_log_deletion"();

CREATE TRIGGER "djcelery_intervalschedule_updated" AFTER UPDATE ON "djcelery_intervalschedule"
FOR EACH ROW WHEN (OLD."every" IS DISTINCT FROM NEW."every" OR OLD."period" IS DISTINCT FROM NEW."period")
EXECUTE FUNCTION "djcelery_schedule_touch_tasks"('interval_id');

CREATE TRIGGER "djcelery_intervalschedule_deleting" BEFORE DELETE ON "djcelery_intervalschedule"
FOR EACH ROW EXECUTE FUNCTION "djcelery_schedule_touch_tasks"('interval_id');

CREATE TRIGGER "djcelery_crontabschedule_updated" AFTER UPDATE ON "djcelery_crontabschedule"
FOR EACH ROW WHEN (OLD."minute" IS DISTINCT FROM NEW."minute" OR OLD."hour" IS DISTINCT FROM NEW."hour" OR OLD."day_of_week" IS DISTINCT FROM NEW."day_of_week" OR OLD."day_of_month" IS DISTINCT FROM NEW."day_of_month" OR OLD."month_of_year" IS DISTINCT FROM NEW."month_of_year" OR OLD."timezone" IS DISTINCT FROM NEW."timezone")
EXECUTE FUNCTION "djcelery_schedule_touch_tasks"('crontab_id');

CREATE TRIGGER "djcelery_crontabschedule_deleting" BEFORE DELETE ON "djcelery_crontabschedule"
FOR EACH ROW EXECUTE FUNCTION "djcelery_schedule_touch_tasks"('crontab_id');

CREATE TRIGGER "djcelery_clockedschedule_updated" AFTER UPDATE ON "djcelery_clockedschedule"
FOR EACH ROW WHEN (OLD."clocked_time" IS DISTINCT FROM NEW."clocked_time")
EXECUTE FUNCTION "djcelery_schedule_touch_tasks"('clocked_id');

CREATE TRIGGER "djcelery_clockedschedule_deleting" BEFORE DELETE ON "djcelery_clockedschedule"
FOR EACH ROW EXECUTE FUNCTION "djcelery_schedule_touch_tasks"('clocked_id');
