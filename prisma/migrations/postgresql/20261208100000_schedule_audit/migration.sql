-- AlterTable
ALTER TABLE "djcelery_periodictasks" ADD COLUMN     "actor" VARCHAR(255);

-- CreateTable
CREATE TABLE "djcelery_periodictask_audit" (
    "id" SERIAL NOT NULL,
    "changed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "periodic_task_id" INTEGER NOT NULL,
    "name" VARCHAR(255) NOT NULL,
    "action" VARCHAR(255) NOT NULL,
    "actor" VARCHAR(255) NOT NULL,
    "fields_before" TEXT,
    "fields_after" TEXT,

    CONSTRAINT "djcelery_periodictask_audit_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "djcelery_periodictask_audit_periodic_task_id_idx" ON "djcelery_periodictask_audit"("periodic_task_id");

-- CreateIndex
CREATE INDEX "djcelery_periodictask_audit_name_idx" ON "djcelery_periodictask_audit"("name");

-- CreateIndex
CREATE INDEX "djcelery_periodictask_audit_changed_at_idx" ON "djcelery_periodictask_audit"("changed_at");

-- The audit trail of schedule changes, and the change marker advanced once
-- per transaction instead of once per row.
--
-- Marker: every row a transaction creates, edits, touches or deletes is
-- stamped with one version, the marker advanced by the first of them. The
-- marker row stays locked from that first bump to the commit, exactly as
-- with a bump per row, so versions still become visible in order (beat's
-- rule: once it reads V, every row stamped V or less is committed). One
-- bump per row updated the same marker row once per row in one
-- transaction; PostgreSQL keeps every version of that row until the
-- transaction ends and each update walks them, so a bulk INSERT of 30,000
-- tasks took over 10 s (quadratic). The version is kept in a transaction-
-- local setting; a savepoint rolled back takes the setting and the bump
-- back together. The marker's NOTIFY (20261207130000_notify) now fires once
-- per transaction too.
--
-- Audit: djcelery_periodictask_audit gets a row for each created, changed,
-- enabled, disabled and deleted periodic task, written here so that raw
-- SQL is recorded as well as the API. fields_before/fields_after hold the fields
-- that differ (all of them for created and deleted), with the schedule in
-- words. Who: djcelery_periodictasks.actor, which the API, the CLI and the
-- monitor set in the change's own transaction and clear before it commits
-- (so it is never seen from outside it); `sql` when it is null. Two
-- writers with different actors cannot mix them up: each change takes the
-- marker row's lock, and setting the actor takes it first, so the second
-- writer waits until the first has committed with the actor cleared. Beat's
-- bookkeeping (last_run_at, total_run_count, next_run_at) and touches
-- change no audited field, so they write no audit row. Created and deleted
-- rows are audited per statement (transition tables); edits per row, so
-- beat's claims (UPDATEs) pay nothing.

CREATE FUNCTION "djcelery_periodictasks_version"() RETURNS integer
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
    "held" text := current_setting('prisma_celery.change_version', true);
BEGIN
    IF "held" IS NULL OR "held" = '' THEN
        "held" := "djcelery_periodictasks_bump"()::text;
        PERFORM set_config('prisma_celery.change_version', "held", true);
    END IF;
    RETURN "held"::integer;
END;
$$;

CREATE OR REPLACE FUNCTION "djcelery_periodictask_stamp"() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    NEW."change_version" := "djcelery_periodictasks_version"();
    IF TG_OP = 'UPDATE' AND "djcelery_periodictask_edited"(OLD, NEW) THEN
        NEW."date_changed" := CURRENT_TIMESTAMP;
    END IF;
    RETURN NEW;
END;
$$;

-- Who is changing periodic tasks in this transaction.
CREATE FUNCTION "djcelery_periodictask_actor"() RETURNS text
LANGUAGE sql STABLE SET search_path FROM CURRENT AS $$
    SELECT COALESCE((SELECT "actor" FROM "djcelery_periodictasks" WHERE "ident" = 1), 'sql');
$$;

-- The fields the audit shows: every column but beat's bookkeeping and the
-- change tracking, the schedule in words instead of its row ids.
CREATE FUNCTION "djcelery_periodictask_audit_fields"("t" "djcelery_periodictask") RETURNS jsonb
LANGUAGE sql STABLE SET search_path FROM CURRENT AS $$
    SELECT jsonb_build_object(
        'name', "t"."name", 'task', "t"."task",
        'schedule', CASE
            WHEN "t"."interval_id" IS NOT NULL THEN (
                SELECT CASE WHEN "every" = 1 THEN 'every ' || left("period", -1) ELSE 'every ' || "every" || ' ' || "period" END
                FROM "djcelery_intervalschedule" WHERE "id" = "t"."interval_id")
            WHEN "t"."crontab_id" IS NOT NULL THEN (
                SELECT 'cron ' || "minute" || ' ' || "hour" || ' ' || "day_of_month" || ' ' || "month_of_year" || ' ' || "day_of_week" || ' (' || "timezone" || ')'
                FROM "djcelery_crontabschedule" WHERE "id" = "t"."crontab_id")
            WHEN "t"."clocked_id" IS NOT NULL THEN (
                SELECT 'once at ' || to_char("clocked_time" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
                FROM "djcelery_clockedschedule" WHERE "id" = "t"."clocked_id")
        END,
        'args', "t"."args", 'kwargs', "t"."kwargs", 'headers', "t"."headers", 'queue', "t"."queue",
        'exchange', "t"."exchange", 'routing_key', "t"."routing_key", 'priority', "t"."priority",
        'expires', to_char("t"."expires" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
        'expire_seconds', "t"."expire_seconds", 'one_off', "t"."one_off",
        'start_time', to_char("t"."start_time" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
        'enabled', "t"."enabled", 'description', "t"."description");
$$;

CREATE FUNCTION "djcelery_periodictask_audit_created"() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    INSERT INTO "djcelery_periodictask_audit" ("changed_at", "periodic_task_id", "name", "action", "actor", "fields_before", "fields_after")
        SELECT CURRENT_TIMESTAMP, "added"."id", "added"."name", 'created', "who"."actor", NULL,
               "djcelery_periodictask_audit_fields"("added")::text
        FROM "added" CROSS JOIN (SELECT "djcelery_periodictask_actor"() AS "actor") AS "who";
    RETURN NULL;
END;
$$;

CREATE FUNCTION "djcelery_periodictask_audit_changed"() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
    "changed_from" jsonb;
    "changed_to" jsonb;
BEGIN
    SELECT jsonb_object_agg("o"."key", "o"."value"), jsonb_object_agg("o"."key", "n"."value") INTO "changed_from", "changed_to"
        FROM jsonb_each("djcelery_periodictask_audit_fields"(OLD)) AS "o"
        JOIN jsonb_each("djcelery_periodictask_audit_fields"(NEW)) AS "n" ON "n"."key" = "o"."key"
        WHERE "o"."value" IS DISTINCT FROM "n"."value";
    -- Schedule rows swapped for identical ones: nothing to show.
    IF "changed_from" IS NULL THEN
        RETURN NULL;
    END IF;
    INSERT INTO "djcelery_periodictask_audit" ("changed_at", "periodic_task_id", "name", "action", "actor", "fields_before", "fields_after")
        VALUES (CURRENT_TIMESTAMP, NEW."id", NEW."name",
                CASE WHEN "changed_from" = jsonb_build_object('enabled', OLD."enabled")
                     THEN CASE WHEN NEW."enabled" THEN 'enabled' ELSE 'disabled' END
                     ELSE 'changed' END,
                "djcelery_periodictask_actor"(), "changed_from"::text, "changed_to"::text);
    RETURN NULL;
END;
$$;

-- A deletion is logged for beat and audited, once per statement.
CREATE OR REPLACE FUNCTION "djcelery_periodictask_log_deletion"() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    INSERT INTO "djcelery_periodictask_deleted" ("version", "periodic_task_id", "name", "deleted_at")
        SELECT "djcelery_periodictasks_version"(), "gone"."id", "gone"."name", CURRENT_TIMESTAMP FROM "gone";
    INSERT INTO "djcelery_periodictask_audit" ("changed_at", "periodic_task_id", "name", "action", "actor", "fields_before", "fields_after")
        SELECT CURRENT_TIMESTAMP, "gone"."id", "gone"."name", 'deleted', "who"."actor",
               "djcelery_periodictask_audit_fields"("gone")::text, NULL
        FROM "gone" CROSS JOIN (SELECT "djcelery_periodictask_actor"() AS "actor") AS "who";
    RETURN NULL;
END;
$$;

DROP TRIGGER "djcelery_periodictask_deleted_log" ON "djcelery_periodictask";

CREATE TRIGGER "djcelery_periodictask_deleted_log" AFTER DELETE ON "djcelery_periodictask"
REFERENCING OLD TABLE AS "gone"
FOR EACH STATEMENT EXECUTE FUNCTION "djcelery_periodictask_log_deletion"();

CREATE TRIGGER "djcelery_periodictask_audit_created" AFTER INSERT ON "djcelery_periodictask"
REFERENCING NEW TABLE AS "added"
FOR EACH STATEMENT EXECUTE FUNCTION "djcelery_periodictask_audit_created"();

CREATE TRIGGER "djcelery_periodictask_audit_changed" AFTER UPDATE ON "djcelery_periodictask"
FOR EACH ROW WHEN ("djcelery_periodictask_edited"(OLD, NEW))
EXECUTE FUNCTION "djcelery_periodictask_audit_changed"();
