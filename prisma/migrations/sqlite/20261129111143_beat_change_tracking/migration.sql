-- CreateTable
CREATE TABLE "djcelery_periodictask_deleted" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "version" INTEGER NOT NULL,
    "periodic_task_id" INTEGER NOT NULL,
    "name" TEXT NOT NULL,
    "deleted_at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_djcelery_periodictask" (
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
    "change_version" INTEGER NOT NULL DEFAULT 0,
    CONSTRAINT "djcelery_periodictask_interval_id_fkey" FOREIGN KEY ("interval_id") REFERENCES "djcelery_intervalschedule" ("id") ON DELETE SET NULL ON UPDATE CASCADE,
    CONSTRAINT "djcelery_periodictask_crontab_id_fkey" FOREIGN KEY ("crontab_id") REFERENCES "djcelery_crontabschedule" ("id") ON DELETE SET NULL ON UPDATE CASCADE,
    CONSTRAINT "djcelery_periodictask_clocked_id_fkey" FOREIGN KEY ("clocked_id") REFERENCES "djcelery_clockedschedule" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);
INSERT INTO "new_djcelery_periodictask" ("args", "clocked_id", "crontab_id", "date_changed", "description", "enabled", "exchange", "expire_seconds", "expires", "headers", "id", "interval_id", "kwargs", "last_run_at", "name", "next_run_at", "one_off", "priority", "queue", "routing_key", "start_time", "task", "total_run_count") SELECT "args", "clocked_id", "crontab_id", "date_changed", "description", "enabled", "exchange", "expire_seconds", "expires", "headers", "id", "interval_id", "kwargs", "last_run_at", "name", "next_run_at", "one_off", "priority", "queue", "routing_key", "start_time", "task", "total_run_count" FROM "djcelery_periodictask";
DROP TABLE "djcelery_periodictask";
ALTER TABLE "new_djcelery_periodictask" RENAME TO "djcelery_periodictask";
CREATE UNIQUE INDEX "djcelery_periodictask_name_key" ON "djcelery_periodictask"("name");
CREATE INDEX "djcelery_periodictask_interval_id_idx" ON "djcelery_periodictask"("interval_id");
CREATE INDEX "djcelery_periodictask_crontab_id_idx" ON "djcelery_periodictask"("crontab_id");
CREATE INDEX "djcelery_periodictask_clocked_id_idx" ON "djcelery_periodictask"("clocked_id");
CREATE INDEX "djcelery_periodictask_enabled_next_run_at_idx" ON "djcelery_periodictask"("enabled", "next_run_at");
CREATE INDEX "djcelery_periodictask_date_changed_idx" ON "djcelery_periodictask"("date_changed");
CREATE INDEX "djcelery_periodictask_change_version_idx" ON "djcelery_periodictask"("change_version");
CREATE TABLE "new_djcelery_periodictasks" (
    "ident" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "last_update" DATETIME NOT NULL,
    "version" INTEGER NOT NULL DEFAULT 0
);
INSERT INTO "new_djcelery_periodictasks" ("ident", "last_update") SELECT "ident", "last_update" FROM "djcelery_periodictasks";
DROP TABLE "djcelery_periodictasks";
ALTER TABLE "new_djcelery_periodictasks" RENAME TO "djcelery_periodictasks";
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- CreateIndex
CREATE INDEX "djcelery_periodictask_deleted_version_idx" ON "djcelery_periodictask_deleted"("version");

-- CreateIndex
CREATE INDEX "djcelery_periodictask_deleted_deleted_at_idx" ON "djcelery_periodictask_deleted"("deleted_at");

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
INSERT INTO "djcelery_periodictasks" ("ident", "last_update", "version") VALUES (1, strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now'), 0)
    ON CONFLICT ("ident") DO NOTHING;

CREATE TRIGGER "djcelery_periodictask_inserted" AFTER INSERT ON "djcelery_periodictask"
FOR EACH ROW BEGIN
    INSERT INTO "djcelery_periodictasks" ("ident", "last_update", "version") VALUES (1, strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now'), 1)
        ON CONFLICT ("ident") DO UPDATE SET "version" = "version" + 1, "last_update" = excluded."last_update";
    UPDATE "djcelery_periodictask"
        SET "change_version" = (SELECT "version" FROM "djcelery_periodictasks" WHERE "ident" = 1)
        WHERE "id" = NEW."id";
END;

-- SQLite triggers cannot change NEW, so the row is stamped by a second
-- UPDATE; its new change_version makes the condition false, so it does not
-- fire this trigger again even with recursive_triggers on.
CREATE TRIGGER "djcelery_periodictask_updated" AFTER UPDATE ON "djcelery_periodictask"
FOR EACH ROW WHEN NEW."change_version" <= 0
    OR (NEW."change_version" = OLD."change_version" AND (
        OLD."name" IS NOT NEW."name"
        OR OLD."task" IS NOT NEW."task"
        OR OLD."args" IS NOT NEW."args"
        OR OLD."kwargs" IS NOT NEW."kwargs"
        OR OLD."queue" IS NOT NEW."queue"
        OR OLD."exchange" IS NOT NEW."exchange"
        OR OLD."routing_key" IS NOT NEW."routing_key"
        OR OLD."headers" IS NOT NEW."headers"
        OR OLD."description" IS NOT NEW."description"
        OR OLD."interval_id" IS NOT NEW."interval_id"
        OR OLD."crontab_id" IS NOT NEW."crontab_id"
        OR OLD."clocked_id" IS NOT NEW."clocked_id"
        OR OLD."priority" IS NOT NEW."priority"
        OR OLD."expires" IS NOT NEW."expires"
        OR OLD."expire_seconds" IS NOT NEW."expire_seconds"
        OR OLD."one_off" IS NOT NEW."one_off"
        OR OLD."start_time" IS NOT NEW."start_time"
        OR OLD."enabled" IS NOT NEW."enabled"
        OR ((OLD."last_run_at" IS NOT NEW."last_run_at" OR OLD."total_run_count" IS NOT NEW."total_run_count")
            AND NEW."total_run_count" <> OLD."total_run_count" + 1)))
BEGIN
    INSERT INTO "djcelery_periodictasks" ("ident", "last_update", "version") VALUES (1, strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now'), 1)
        ON CONFLICT ("ident") DO UPDATE SET "version" = "version" + 1, "last_update" = excluded."last_update";
    UPDATE "djcelery_periodictask"
        SET "change_version" = (SELECT "version" FROM "djcelery_periodictasks" WHERE "ident" = 1), "date_changed" = strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')
        WHERE "id" = NEW."id";
END;

CREATE TRIGGER "djcelery_periodictask_deleted_log" AFTER DELETE ON "djcelery_periodictask"
FOR EACH ROW BEGIN
    INSERT INTO "djcelery_periodictasks" ("ident", "last_update", "version") VALUES (1, strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now'), 1)
        ON CONFLICT ("ident") DO UPDATE SET "version" = "version" + 1, "last_update" = excluded."last_update";
    INSERT INTO "djcelery_periodictask_deleted" ("version", "periodic_task_id", "name", "deleted_at")
        SELECT "version", OLD."id", OLD."name", strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now') FROM "djcelery_periodictasks" WHERE "ident" = 1;
END;

CREATE TRIGGER "djcelery_intervalschedule_updated" AFTER UPDATE ON "djcelery_intervalschedule"
FOR EACH ROW WHEN OLD."every" IS NOT NEW."every" OR OLD."period" IS NOT NEW."period"
BEGIN
    UPDATE "djcelery_periodictask" SET "change_version" = 0 WHERE "interval_id" = OLD."id";
END;

CREATE TRIGGER "djcelery_intervalschedule_deleting" BEFORE DELETE ON "djcelery_intervalschedule"
FOR EACH ROW BEGIN
    UPDATE "djcelery_periodictask" SET "change_version" = 0 WHERE "interval_id" = OLD."id";
END;

CREATE TRIGGER "djcelery_crontabschedule_updated" AFTER UPDATE ON "djcelery_crontabschedule"
FOR EACH ROW WHEN OLD."minute" IS NOT NEW."minute" OR OLD."hour" IS NOT NEW."hour" OR OLD."day_of_week" IS NOT NEW."day_of_week" OR OLD."day_of_month" IS NOT NEW."day_of_month" OR OLD."month_of_year" IS NOT NEW."month_of_year" OR OLD."timezone" IS NOT NEW."timezone"
BEGIN
    UPDATE "djcelery_periodictask" SET "change_version" = 0 WHERE "crontab_id" = OLD."id";
END;

CREATE TRIGGER "djcelery_crontabschedule_deleting" BEFORE DELETE ON "djcelery_crontabschedule"
FOR EACH ROW BEGIN
    UPDATE "djcelery_periodictask" SET "change_version" = 0 WHERE "crontab_id" = OLD."id";
END;

CREATE TRIGGER "djcelery_clockedschedule_updated" AFTER UPDATE ON "djcelery_clockedschedule"
FOR EACH ROW WHEN OLD."clocked_time" IS NOT NEW."clocked_time"
BEGIN
    UPDATE "djcelery_periodictask" SET "change_version" = 0 WHERE "clocked_id" = OLD."id";
END;

CREATE TRIGGER "djcelery_clockedschedule_deleting" BEFORE DELETE ON "djcelery_clockedschedule"
FOR EACH ROW BEGIN
    UPDATE "djcelery_periodictask" SET "change_version" = 0 WHERE "clocked_id" = OLD."id";
END;
