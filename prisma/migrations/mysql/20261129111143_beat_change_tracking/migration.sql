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

-- AlterTable
ALTER TABLE `djcelery_periodictask` ADD COLUMN `change_version` INTEGER NOT NULL DEFAULT 0;

-- AlterTable
ALTER TABLE `djcelery_periodictasks` ADD COLUMN `version` INTEGER NOT NULL DEFAULT 0;

-- CreateTable
CREATE TABLE `djcelery_periodictask_deleted` (
    `id` INTEGER NOT NULL AUTO_INCREMENT,
    `version` INTEGER NOT NULL,
    `periodic_task_id` INTEGER NOT NULL,
    `name` VARCHAR(255) NOT NULL,
    `deleted_at` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),

    INDEX `djcelery_periodictask_deleted_version_idx`(`version`),
    INDEX `djcelery_periodictask_deleted_deleted_at_idx`(`deleted_at`),
    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

-- CreateIndex
CREATE INDEX `djcelery_periodictask_change_version_idx` ON `djcelery_periodictask`(`change_version`);

-- The marker row, if the table has none yet.
INSERT IGNORE INTO `djcelery_periodictasks` (`ident`, `last_update`, `version`) VALUES (1, UTC_TIMESTAMP(3), 0);

-- MySQL specifics. Each trigger body is one statement (the migration runner
-- splits scripts at top-level semicolons, so no BEGIN ... END); where two
-- steps are needed, two triggers run in order (FOLLOWS). A trigger cannot
-- update the table it is on, but BEFORE triggers may set NEW. Text is
-- compared as bytes: the tables' collation is case- and trailing-space-
-- insensitive. Times are UTC_TIMESTAMP, whatever the session's time zone.
-- InnoDB's own ON DELETE SET NULL fires no triggers, hence the BEFORE
-- DELETE triggers on the schedule tables.
CREATE TRIGGER `djcelery_periodictask_inserted` BEFORE INSERT ON `djcelery_periodictask`
FOR EACH ROW INSERT INTO `djcelery_periodictasks` (`ident`, `last_update`, `version`) VALUES (1, UTC_TIMESTAMP(3), 1)
    ON DUPLICATE KEY UPDATE `version` = `version` + 1, `last_update` = VALUES(`last_update`);

CREATE TRIGGER `djcelery_periodictask_inserted_stamp` BEFORE INSERT ON `djcelery_periodictask`
FOR EACH ROW FOLLOWS `djcelery_periodictask_inserted`
SET NEW.`change_version` = (SELECT `version` FROM `djcelery_periodictasks` WHERE `ident` = 1);

CREATE TRIGGER `djcelery_periodictask_updated` BEFORE UPDATE ON `djcelery_periodictask`
FOR EACH ROW INSERT INTO `djcelery_periodictasks` (`ident`, `last_update`, `version`)
    SELECT 1, UTC_TIMESTAMP(3), 1 FROM DUAL WHERE NEW.`change_version` <= 0
    OR (NEW.`change_version` = OLD.`change_version` AND (
        NOT (CAST(OLD.`name` AS BINARY) <=> CAST(NEW.`name` AS BINARY))
        OR NOT (CAST(OLD.`task` AS BINARY) <=> CAST(NEW.`task` AS BINARY))
        OR NOT (CAST(OLD.`args` AS BINARY) <=> CAST(NEW.`args` AS BINARY))
        OR NOT (CAST(OLD.`kwargs` AS BINARY) <=> CAST(NEW.`kwargs` AS BINARY))
        OR NOT (CAST(OLD.`queue` AS BINARY) <=> CAST(NEW.`queue` AS BINARY))
        OR NOT (CAST(OLD.`exchange` AS BINARY) <=> CAST(NEW.`exchange` AS BINARY))
        OR NOT (CAST(OLD.`routing_key` AS BINARY) <=> CAST(NEW.`routing_key` AS BINARY))
        OR NOT (CAST(OLD.`headers` AS BINARY) <=> CAST(NEW.`headers` AS BINARY))
        OR NOT (CAST(OLD.`description` AS BINARY) <=> CAST(NEW.`description` AS BINARY))
        OR NOT (OLD.`interval_id` <=> NEW.`interval_id`)
        OR NOT (OLD.`crontab_id` <=> NEW.`crontab_id`)
        OR NOT (OLD.`clocked_id` <=> NEW.`clocked_id`)
        OR NOT (OLD.`priority` <=> NEW.`priority`)
        OR NOT (OLD.`expires` <=> NEW.`expires`)
        OR NOT (OLD.`expire_seconds` <=> NEW.`expire_seconds`)
        OR NOT (OLD.`one_off` <=> NEW.`one_off`)
        OR NOT (OLD.`start_time` <=> NEW.`start_time`)
        OR NOT (OLD.`enabled` <=> NEW.`enabled`)
        OR ((NOT (OLD.`last_run_at` <=> NEW.`last_run_at`) OR NOT (OLD.`total_run_count` <=> NEW.`total_run_count`))
            AND NEW.`total_run_count` <> OLD.`total_run_count` + 1)))
    ON DUPLICATE KEY UPDATE `version` = `version` + 1, `last_update` = VALUES(`last_update`);

CREATE TRIGGER `djcelery_periodictask_updated_stamp` BEFORE UPDATE ON `djcelery_periodictask`
FOR EACH ROW FOLLOWS `djcelery_periodictask_updated`
SET NEW.`change_version` = IF(NEW.`change_version` <= 0
    OR (NEW.`change_version` = OLD.`change_version` AND (
        NOT (CAST(OLD.`name` AS BINARY) <=> CAST(NEW.`name` AS BINARY))
        OR NOT (CAST(OLD.`task` AS BINARY) <=> CAST(NEW.`task` AS BINARY))
        OR NOT (CAST(OLD.`args` AS BINARY) <=> CAST(NEW.`args` AS BINARY))
        OR NOT (CAST(OLD.`kwargs` AS BINARY) <=> CAST(NEW.`kwargs` AS BINARY))
        OR NOT (CAST(OLD.`queue` AS BINARY) <=> CAST(NEW.`queue` AS BINARY))
        OR NOT (CAST(OLD.`exchange` AS BINARY) <=> CAST(NEW.`exchange` AS BINARY))
        OR NOT (CAST(OLD.`routing_key` AS BINARY) <=> CAST(NEW.`routing_key` AS BINARY))
        OR NOT (CAST(OLD.`headers` AS BINARY) <=> CAST(NEW.`headers` AS BINARY))
        OR NOT (CAST(OLD.`description` AS BINARY) <=> CAST(NEW.`description` AS BINARY))
        OR NOT (OLD.`interval_id` <=> NEW.`interval_id`)
        OR NOT (OLD.`crontab_id` <=> NEW.`crontab_id`)
        OR NOT (OLD.`clocked_id` <=> NEW.`clocked_id`)
        OR NOT (OLD.`priority` <=> NEW.`priority`)
        OR NOT (OLD.`expires` <=> NEW.`expires`)
        OR NOT (OLD.`expire_seconds` <=> NEW.`expire_seconds`)
        OR NOT (OLD.`one_off` <=> NEW.`one_off`)
        OR NOT (OLD.`start_time` <=> NEW.`start_time`)
        OR NOT (OLD.`enabled` <=> NEW.`enabled`)
        OR ((NOT (OLD.`last_run_at` <=> NEW.`last_run_at`) OR NOT (OLD.`total_run_count` <=> NEW.`total_run_count`))
            AND NEW.`total_run_count` <> OLD.`total_run_count` + 1))),
        (SELECT `version` FROM `djcelery_periodictasks` WHERE `ident` = 1), NEW.`change_version`),
    NEW.`date_changed` = IF(NEW.`change_version` <> OLD.`change_version`, UTC_TIMESTAMP(3), NEW.`date_changed`);

CREATE TRIGGER `djcelery_periodictask_deleted_log` AFTER DELETE ON `djcelery_periodictask`
FOR EACH ROW INSERT INTO `djcelery_periodictasks` (`ident`, `last_update`, `version`) VALUES (1, UTC_TIMESTAMP(3), 1)
    ON DUPLICATE KEY UPDATE `version` = `version` + 1, `last_update` = VALUES(`last_update`);

CREATE TRIGGER `djcelery_periodictask_deleted_log_row` AFTER DELETE ON `djcelery_periodictask`
FOR EACH ROW FOLLOWS `djcelery_periodictask_deleted_log`
INSERT INTO `djcelery_periodictask_deleted` (`version`, `periodic_task_id`, `name`, `deleted_at`)
    SELECT `version`, OLD.`id`, OLD.`name`, UTC_TIMESTAMP(3) FROM `djcelery_periodictasks` WHERE `ident` = 1;

CREATE TRIGGER `djcelery_intervalschedule_updated` AFTER UPDATE ON `djcelery_intervalschedule`
FOR EACH ROW UPDATE `djcelery_periodictask` SET `change_version` = 0 WHERE `interval_id` = OLD.`id` AND (NOT (OLD.`every` <=> NEW.`every`) OR NOT (CAST(OLD.`period` AS BINARY) <=> CAST(NEW.`period` AS BINARY)));

CREATE TRIGGER `djcelery_intervalschedule_deleting` BEFORE DELETE ON `djcelery_intervalschedule`
FOR EACH ROW UPDATE `djcelery_periodictask` SET `change_version` = 0 WHERE `interval_id` = OLD.`id`;

CREATE TRIGGER `djcelery_crontabschedule_updated` AFTER UPDATE ON `djcelery_crontabschedule`
FOR EACH ROW UPDATE `djcelery_periodictask` SET `change_version` = 0 WHERE `crontab_id` = OLD.`id` AND (NOT (CAST(OLD.`minute` AS BINARY) <=> CAST(NEW.`minute` AS BINARY)) OR NOT (CAST(OLD.`hour` AS BINARY) <=> CAST(NEW.`hour` AS BINARY)) OR NOT (CAST(OLD.`day_of_week` AS BINARY) <=> CAST(NEW.`day_of_week` AS BINARY)) OR NOT (CAST(OLD.`day_of_month` AS BINARY) <=> CAST(NEW.`day_of_month` AS BINARY)) OR NOT (CAST(OLD.`month_of_year` AS BINARY) <=> CAST(NEW.`month_of_year` AS BINARY)) OR NOT (CAST(OLD.`timezone` AS BINARY) <=> CAST(NEW.`timezone` AS BINARY)));

CREATE TRIGGER `djcelery_crontabschedule_deleting` BEFORE DELETE ON `djcelery_crontabschedule`
FOR EACH ROW UPDATE `djcelery_periodictask` SET `change_version` = 0 WHERE `crontab_id` = OLD.`id`;

CREATE TRIGGER `djcelery_clockedschedule_updated` AFTER UPDATE ON `djcelery_clockedschedule`
FOR EACH ROW UPDATE `djcelery_periodictask` SET `change_version` = 0 WHERE `clocked_id` = OLD.`id` AND (NOT (OLD.`clocked_time` <=> NEW.`clocked_time`));

CREATE TRIGGER `djcelery_clockedschedule_deleting` BEFORE DELETE ON `djcelery_clockedschedule`
FOR EACH ROW UPDATE `djcelery_periodictask` SET `change_version` = 0 WHERE `clocked_id` = OLD.`id`;
