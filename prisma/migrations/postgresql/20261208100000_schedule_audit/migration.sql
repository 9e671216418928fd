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
-- rows are audited once per statement from its transition table (a bulk
-- insert is one INSERT … SELECT); edits per row, behind a condition that
-- beat's claims never meet.

-- The setting holds "<schema>:<version>": a transaction that changes the
-- tables of two schemas (two installations in one database) bumps each
-- schema's marker, again whenever it goes back to the other one.
CREATE FUNCTION "djcelery_periodictasks_version"() RETURNS integer
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
    "held" text := current_setting('prisma_celery.change_version', true);
    "mine" text := current_schema() || ':';
    "version" integer;
BEGIN
    IF "held" IS NOT NULL AND starts_with("held", "mine") THEN
        RETURN substr("held", length("mine") + 1)::integer;
    END IF;
    "version" := "djcelery_periodictasks_bump"();
    PERFORM set_config('prisma_celery.change_version', "mine" || "version", true);
    RETURN "version";
END;
$$;

-- The row triggers run once per row, so they avoid what costs per call: a
-- function with a SET clause (the search_path below) saves and restores the
-- setting on every call, which took more time than the insert itself. They
-- find the schema's functions through TG_TABLE_SCHEMA instead, and only on
-- a transaction's first change.
CREATE OR REPLACE FUNCTION "djcelery_periodictask_stamp"() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    "held" text := current_setting('prisma_celery.change_version', true);
    "mine" text := TG_TABLE_SCHEMA || ':';
BEGIN
    IF "held" IS NOT NULL AND starts_with("held", "mine") THEN
        NEW."change_version" := substr("held", length("mine") + 1)::integer;
    ELSE
        EXECUTE format('SELECT %I.%I()', TG_TABLE_SCHEMA, 'djcelery_periodictasks_version') INTO NEW."change_version";
    END IF;
    RETURN NEW;
END;
$$;

-- An edit restamps date_changed (a touch does not): a trigger of its own, so
-- the stamp calls nothing by name. Named to fire before the stamp (BEFORE
-- triggers fire in name order), which changes the change_version its
-- condition reads.
CREATE FUNCTION "djcelery_periodictask_restamp"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW."date_changed" := CURRENT_TIMESTAMP;
    RETURN NEW;
END;
$$;

CREATE TRIGGER "djcelery_periodictask_edit_restamp" BEFORE UPDATE ON "djcelery_periodictask"
FOR EACH ROW WHEN ((NEW."change_version" <= 0 OR NEW."change_version" = OLD."change_version")
    AND "djcelery_periodictask_edited"(OLD, NEW))
EXECUTE FUNCTION "djcelery_periodictask_restamp"();

-- Who is changing periodic tasks in this transaction.
CREATE FUNCTION "djcelery_periodictask_actor"() RETURNS text
LANGUAGE sql STABLE SET search_path FROM CURRENT AS $$
    SELECT COALESCE((SELECT "actor" FROM "djcelery_periodictasks" WHERE "ident" = 1), 'sql');
$$;

-- A schedule in words, from its joined row (NULL where not joined). These
-- two are plain expressions, which PostgreSQL inlines into the audit's
-- statements: called per row, a function costs more than the row.
CREATE FUNCTION "djcelery_schedule_words"("i" "djcelery_intervalschedule", "c" "djcelery_crontabschedule", "k" "djcelery_clockedschedule")
RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE
        WHEN ("i")."id" IS NOT NULL THEN
            CASE WHEN ("i")."every" = 1 THEN 'every ' || left(("i")."period", -1) ELSE 'every ' || ("i")."every" || ' ' || ("i")."period" END
        WHEN ("c")."id" IS NOT NULL THEN
            'cron ' || ("c")."minute" || ' ' || ("c")."hour" || ' ' || ("c")."day_of_month" || ' ' || ("c")."month_of_year" || ' '
            || ("c")."day_of_week" || ' (' || ("c")."timezone" || ')'
        WHEN ("k")."id" IS NOT NULL THEN
            'once at ' || to_char(("k")."clocked_time" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
    END;
$$;

-- The fields the audit shows: every column but beat's bookkeeping and the
-- change tracking, and the schedule in words instead of its row ids.
CREATE FUNCTION "djcelery_periodictask_audit_fields"("t" "djcelery_periodictask", "schedule" text) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT (to_jsonb("t") - ARRAY['id', 'interval_id', 'crontab_id', 'clocked_id', 'last_run_at', 'total_run_count',
                                  'next_run_at', 'date_changed', 'change_version'])
        || jsonb_build_object('schedule', "schedule");
$$;

CREATE FUNCTION "djcelery_periodictask_audit"() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO "djcelery_periodictask_audit" ("changed_at", "periodic_task_id", "name", "action", "actor", "fields_before", "fields_after")
            SELECT CURRENT_TIMESTAMP, "t"."id", "t"."name", 'created', "who"."actor", NULL, 
                   "djcelery_periodictask_audit_fields"("t", "djcelery_schedule_words"("i", "c", "k"))::text
            FROM "added" AS "t"
            LEFT JOIN "djcelery_intervalschedule" AS "i" ON "i"."id" = "t"."interval_id"
            LEFT JOIN "djcelery_crontabschedule" AS "c" ON "c"."id" = "t"."crontab_id"
            LEFT JOIN "djcelery_clockedschedule" AS "k" ON "k"."id" = "t"."clocked_id"
            CROSS JOIN (SELECT "djcelery_periodictask_actor"() AS "actor") AS "who";
    ELSE
        INSERT INTO "djcelery_periodictask_audit" ("changed_at", "periodic_task_id", "name", "action", "actor", "fields_before", "fields_after")
            SELECT CURRENT_TIMESTAMP, "t"."id", "t"."name", 'deleted', "who"."actor",
                   "djcelery_periodictask_audit_fields"("t", "djcelery_schedule_words"("i", "c", "k"))::text, NULL
            FROM "gone" AS "t"
            LEFT JOIN "djcelery_intervalschedule" AS "i" ON "i"."id" = "t"."interval_id"
            LEFT JOIN "djcelery_crontabschedule" AS "c" ON "c"."id" = "t"."crontab_id"
            LEFT JOIN "djcelery_clockedschedule" AS "k" ON "k"."id" = "t"."clocked_id"
            CROSS JOIN (SELECT "djcelery_periodictask_actor"() AS "actor") AS "who";
    END IF;
    RETURN NULL;
END;
$$;

-- An edit, audited per row: the trigger's condition leaves beat's claims
-- (UPDATEs of its bookkeeping, many per second) without any audit work.
CREATE FUNCTION "djcelery_periodictask_audit_edit"() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
    "was" jsonb;
    "is" jsonb;
    "changed_from" jsonb;
    "changed_to" jsonb;
BEGIN
    SELECT "djcelery_periodictask_audit_fields"(OLD, "djcelery_schedule_words"("i", "c", "k")) INTO "was"
        FROM (SELECT 1) AS "one"
        LEFT JOIN "djcelery_intervalschedule" AS "i" ON "i"."id" = OLD."interval_id"
        LEFT JOIN "djcelery_crontabschedule" AS "c" ON "c"."id" = OLD."crontab_id"
        LEFT JOIN "djcelery_clockedschedule" AS "k" ON "k"."id" = OLD."clocked_id";
    SELECT "djcelery_periodictask_audit_fields"(NEW, "djcelery_schedule_words"("i", "c", "k")) INTO "is"
        FROM (SELECT 1) AS "one"
        LEFT JOIN "djcelery_intervalschedule" AS "i" ON "i"."id" = NEW."interval_id"
        LEFT JOIN "djcelery_crontabschedule" AS "c" ON "c"."id" = NEW."crontab_id"
        LEFT JOIN "djcelery_clockedschedule" AS "k" ON "k"."id" = NEW."clocked_id";
    SELECT jsonb_object_agg("a"."key", "a"."value"), jsonb_object_agg("a"."key", "b"."value") INTO "changed_from", "changed_to"
        FROM jsonb_each("was") AS "a" JOIN jsonb_each("is") AS "b" ON "b"."key" = "a"."key"
        WHERE "a"."value" IS DISTINCT FROM "b"."value";
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

-- A deletion is logged for beat once per statement.
CREATE OR REPLACE FUNCTION "djcelery_periodictask_log_deletion"() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM "gone") THEN
        INSERT INTO "djcelery_periodictask_deleted" ("version", "periodic_task_id", "name", "deleted_at")
            SELECT "bump"."version", "gone"."id", "gone"."name", CURRENT_TIMESTAMP
            FROM "gone" CROSS JOIN (SELECT "djcelery_periodictasks_version"() AS "version") AS "bump";
    END IF;
    RETURN NULL;
END;
$$;

DROP TRIGGER "djcelery_periodictask_deleted_log" ON "djcelery_periodictask";

CREATE TRIGGER "djcelery_periodictask_deleted_log" AFTER DELETE ON "djcelery_periodictask"
REFERENCING OLD TABLE AS "gone"
FOR EACH STATEMENT EXECUTE FUNCTION "djcelery_periodictask_log_deletion"();

CREATE TRIGGER "djcelery_periodictask_audit_created" AFTER INSERT ON "djcelery_periodictask"
REFERENCING NEW TABLE AS "added"
FOR EACH STATEMENT EXECUTE FUNCTION "djcelery_periodictask_audit"();

CREATE TRIGGER "djcelery_periodictask_audit_changed" AFTER UPDATE ON "djcelery_periodictask"
FOR EACH ROW WHEN ("djcelery_periodictask_edited"(OLD, NEW))
EXECUTE FUNCTION "djcelery_periodictask_audit_edit"();

CREATE TRIGGER "djcelery_periodictask_audit_deleted" AFTER DELETE ON "djcelery_periodictask"
REFERENCING OLD TABLE AS "gone"
FOR EACH STATEMENT EXECUTE FUNCTION "djcelery_periodictask_audit"();
