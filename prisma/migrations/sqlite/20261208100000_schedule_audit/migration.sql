-- AlterTable
ALTER TABLE "djcelery_periodictasks" ADD COLUMN "actor" TEXT;

-- CreateTable
CREATE TABLE "djcelery_periodictask_audit" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "changed_at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "periodic_task_id" INTEGER NOT NULL,
    "name" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "actor" TEXT NOT NULL,
    "fields_before" TEXT,
    "fields_after" TEXT
);

-- CreateIndex
CREATE INDEX "djcelery_periodictask_audit_periodic_task_id_idx" ON "djcelery_periodictask_audit"("periodic_task_id");

-- CreateIndex
CREATE INDEX "djcelery_periodictask_audit_name_idx" ON "djcelery_periodictask_audit"("name");

-- CreateIndex
CREATE INDEX "djcelery_periodictask_audit_changed_at_idx" ON "djcelery_periodictask_audit"("changed_at");

-- The audit trail of schedule changes.
--
-- djcelery_periodictask_audit gets a row for each created, changed,
-- enabled, disabled and deleted periodic task, written by these triggers so
-- that raw SQL is recorded as well as the API. fields_before/fields_after
-- hold the fields that differ (all of them for created and deleted), with
-- the schedule in words. Who: djcelery_periodictasks.actor, which the API,
-- the CLI and the monitor set in the change's own transaction and clear
-- before it commits (SQLite has no session state a trigger could read, and
-- a trigger may not read a TEMP table); `sql` when it is null. SQLite lets
-- one transaction write at a time, so no other writer can see the actor
-- set or commit between its setting and its clearing. Beat's bookkeeping
-- (last_run_at, total_run_count, next_run_at) and touches change no
-- audited field, so they write no audit row.
--
-- The change marker still moves once per row: SQLite has only row
-- triggers and nothing that tells one statement or transaction from the
-- next, and a bump is an in-place update of one page here (a bulk INSERT of
-- 30,000 tasks took about 1 s before this migration, linear in the rows).

CREATE TRIGGER "djcelery_periodictask_audit_created" AFTER INSERT ON "djcelery_periodictask"
FOR EACH ROW BEGIN
    INSERT INTO "djcelery_periodictask_audit" ("changed_at", "periodic_task_id", "name", "action", "actor", "fields_before", "fields_after")
        VALUES (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now'), NEW."id", NEW."name", 'created', COALESCE((SELECT "actor" FROM "djcelery_periodictasks" WHERE "ident" = 1), 'sql'), NULL,
        json_object(
            'name', NEW."name", 'task', NEW."task",
            'schedule', CASE
                WHEN NEW."interval_id" IS NOT NULL THEN (
                    SELECT CASE WHEN "every" = 1 THEN 'every ' || substr("period", 1, length("period") - 1) ELSE 'every ' || "every" || ' ' || "period" END
                    FROM "djcelery_intervalschedule" WHERE "id" = NEW."interval_id")
                WHEN NEW."crontab_id" IS NOT NULL THEN (
                    SELECT 'cron ' || "minute" || ' ' || "hour" || ' ' || "day_of_month" || ' ' || "month_of_year" || ' ' || "day_of_week" || ' (' || "timezone" || ')'
                    FROM "djcelery_crontabschedule" WHERE "id" = NEW."crontab_id")
                WHEN NEW."clocked_id" IS NOT NULL THEN (
                    SELECT 'once at ' || strftime('%Y-%m-%dT%H:%M:%fZ', "clocked_time") FROM "djcelery_clockedschedule" WHERE "id" = NEW."clocked_id")
            END,
            'args', NEW."args", 'kwargs', NEW."kwargs", 'headers', NEW."headers", 'queue', NEW."queue", 'exchange', NEW."exchange",
            'routing_key', NEW."routing_key", 'priority', NEW."priority", 'expires', strftime('%Y-%m-%dT%H:%M:%fZ', NEW."expires"),
            'expire_seconds', NEW."expire_seconds", 'one_off', json(CASE WHEN NEW."one_off" THEN 'true' ELSE 'false' END), 'start_time', strftime('%Y-%m-%dT%H:%M:%fZ', NEW."start_time"),
            'enabled', json(CASE WHEN NEW."enabled" THEN 'true' ELSE 'false' END), 'description', NEW."description"));
END;

CREATE TRIGGER "djcelery_periodictask_audit_changed" AFTER UPDATE ON "djcelery_periodictask"
FOR EACH ROW WHEN (OLD."name", OLD."task", OLD."args", OLD."kwargs", OLD."queue", OLD."exchange",
         OLD."routing_key", OLD."headers", OLD."description", OLD."interval_id", OLD."crontab_id", OLD."clocked_id",
         OLD."priority", OLD."expires", OLD."expire_seconds", OLD."one_off", OLD."start_time", OLD."enabled")
    IS NOT (NEW."name", NEW."task", NEW."args", NEW."kwargs", NEW."queue", NEW."exchange",
         NEW."routing_key", NEW."headers", NEW."description", NEW."interval_id", NEW."crontab_id", NEW."clocked_id",
         NEW."priority", NEW."expires", NEW."expire_seconds", NEW."one_off", NEW."start_time", NEW."enabled")
BEGIN
    INSERT INTO "djcelery_periodictask_audit" ("changed_at", "periodic_task_id", "name", "action", "actor", "fields_before", "fields_after")
        SELECT strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now'), NEW."id", NEW."name",
               CASE WHEN json_type("d"."before", '$.enabled') IS NOT NULL AND (SELECT count(*) FROM json_each("d"."before")) = 1
                    THEN CASE WHEN NEW."enabled" THEN 'enabled' ELSE 'disabled' END
                    ELSE 'changed' END,
               COALESCE((SELECT "actor" FROM "djcelery_periodictasks" WHERE "ident" = 1), 'sql'), "d"."before", "d"."after"
        FROM (SELECT (SELECT json_group_object("o"."key", CASE "o"."type" WHEN 'true' THEN json('true') WHEN 'false' THEN json('false') ELSE "o"."value" END)
                     FROM json_each("f"."was") AS "o" JOIN json_each("f"."now") AS "n" ON "n"."key" = "o"."key"
                     WHERE "o"."type" IS NOT "n"."type" OR "o"."value" IS NOT "n"."value") AS "before",
                     (SELECT json_group_object("n"."key", CASE "n"."type" WHEN 'true' THEN json('true') WHEN 'false' THEN json('false') ELSE "n"."value" END)
                     FROM json_each("f"."was") AS "o" JOIN json_each("f"."now") AS "n" ON "n"."key" = "o"."key"
                     WHERE "o"."type" IS NOT "n"."type" OR "o"."value" IS NOT "n"."value") AS "after"
              FROM (SELECT json_object(
            'name', OLD."name", 'task', OLD."task",
            'schedule', CASE
                WHEN OLD."interval_id" IS NOT NULL THEN (
                    SELECT CASE WHEN "every" = 1 THEN 'every ' || substr("period", 1, length("period") - 1) ELSE 'every ' || "every" || ' ' || "period" END
                    FROM "djcelery_intervalschedule" WHERE "id" = OLD."interval_id")
                WHEN OLD."crontab_id" IS NOT NULL THEN (
                    SELECT 'cron ' || "minute" || ' ' || "hour" || ' ' || "day_of_month" || ' ' || "month_of_year" || ' ' || "day_of_week" || ' (' || "timezone" || ')'
                    FROM "djcelery_crontabschedule" WHERE "id" = OLD."crontab_id")
                WHEN OLD."clocked_id" IS NOT NULL THEN (
                    SELECT 'once at ' || strftime('%Y-%m-%dT%H:%M:%fZ', "clocked_time") FROM "djcelery_clockedschedule" WHERE "id" = OLD."clocked_id")
            END,
            'args', OLD."args", 'kwargs', OLD."kwargs", 'headers', OLD."headers", 'queue', OLD."queue", 'exchange', OLD."exchange",
            'routing_key', OLD."routing_key", 'priority', OLD."priority", 'expires', strftime('%Y-%m-%dT%H:%M:%fZ', OLD."expires"),
            'expire_seconds', OLD."expire_seconds", 'one_off', json(CASE WHEN OLD."one_off" THEN 'true' ELSE 'false' END), 'start_time', strftime('%Y-%m-%dT%H:%M:%fZ', OLD."start_time"),
            'enabled', json(CASE WHEN OLD."enabled" THEN 'true' ELSE 'false' END), 'description', OLD."description") AS "was",
                    json_object(
            'name', NEW."name", 'task', NEW."task",
            'schedule', CASE
                WHEN NEW."interval_id" IS NOT NULL THEN (
                    SELECT CASE WHEN "every" = 1 THEN 'every ' || substr("period", 1, length("period") - 1) ELSE 'every ' || "every" || ' ' || "period" END
                    FROM "djcelery_intervalschedule" WHERE "id" = NEW."interval_id")
                WHEN NEW."crontab_id" IS NOT NULL THEN (
                    SELECT 'cron ' || "minute" || ' ' || "hour" || ' ' || "day_of_month" || ' ' || "month_of_year" || ' ' || "day_of_week" || ' (' || "timezone" || ')'
                    FROM "djcelery_crontabschedule" WHERE "id" = NEW."crontab_id")
                WHEN NEW."clocked_id" IS NOT NULL THEN (
                    SELECT 'once at ' || strftime('%Y-%m-%dT%H:%M:%fZ', "clocked_time") FROM "djcelery_clockedschedule" WHERE "id" = NEW."clocked_id")
            END,
            'args', NEW."args", 'kwargs', NEW."kwargs", 'headers', NEW."headers", 'queue', NEW."queue", 'exchange', NEW."exchange",
            'routing_key', NEW."routing_key", 'priority', NEW."priority", 'expires', strftime('%Y-%m-%dT%H:%M:%fZ', NEW."expires"),
            'expire_seconds', NEW."expire_seconds", 'one_off', json(CASE WHEN NEW."one_off" THEN 'true' ELSE 'false' END), 'start_time', strftime('%Y-%m-%dT%H:%M:%fZ', NEW."start_time"),
            'enabled', json(CASE WHEN NEW."enabled" THEN 'true' ELSE 'false' END), 'description', NEW."description") AS "now") AS "f") AS "d"
        -- Schedule rows swapped for identical ones: nothing to show.
        WHERE "d"."before" <> '{}';
END;

CREATE TRIGGER "djcelery_periodictask_audit_deleted" AFTER DELETE ON "djcelery_periodictask"
FOR EACH ROW BEGIN
    INSERT INTO "djcelery_periodictask_audit" ("changed_at", "periodic_task_id", "name", "action", "actor", "fields_before", "fields_after")
        VALUES (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now'), OLD."id", OLD."name", 'deleted', COALESCE((SELECT "actor" FROM "djcelery_periodictasks" WHERE "ident" = 1), 'sql'),
        json_object(
            'name', OLD."name", 'task', OLD."task",
            'schedule', CASE
                WHEN OLD."interval_id" IS NOT NULL THEN (
                    SELECT CASE WHEN "every" = 1 THEN 'every ' || substr("period", 1, length("period") - 1) ELSE 'every ' || "every" || ' ' || "period" END
                    FROM "djcelery_intervalschedule" WHERE "id" = OLD."interval_id")
                WHEN OLD."crontab_id" IS NOT NULL THEN (
                    SELECT 'cron ' || "minute" || ' ' || "hour" || ' ' || "day_of_month" || ' ' || "month_of_year" || ' ' || "day_of_week" || ' (' || "timezone" || ')'
                    FROM "djcelery_crontabschedule" WHERE "id" = OLD."crontab_id")
                WHEN OLD."clocked_id" IS NOT NULL THEN (
                    SELECT 'once at ' || strftime('%Y-%m-%dT%H:%M:%fZ', "clocked_time") FROM "djcelery_clockedschedule" WHERE "id" = OLD."clocked_id")
            END,
            'args', OLD."args", 'kwargs', OLD."kwargs", 'headers', OLD."headers", 'queue', OLD."queue", 'exchange', OLD."exchange",
            'routing_key', OLD."routing_key", 'priority', OLD."priority", 'expires', strftime('%Y-%m-%dT%H:%M:%fZ', OLD."expires"),
            'expire_seconds', OLD."expire_seconds", 'one_off', json(CASE WHEN OLD."one_off" THEN 'true' ELSE 'false' END), 'start_time', strftime('%Y-%m-%dT%H:%M:%fZ', OLD."start_time"),
            'enabled', json(CASE WHEN OLD."enabled" THEN 'true' ELSE 'false' END), 'description', OLD."description"), NULL);
END;
