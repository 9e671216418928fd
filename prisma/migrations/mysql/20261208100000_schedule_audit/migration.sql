-- The audit trail of schedule changes, and the change-tracking triggers
-- made one per event.
--
-- Audit: djcelery_periodictask_audit gets a row for each created, changed,
-- enabled, disabled and deleted periodic task, written by these triggers so
-- that raw SQL is recorded as well as the API. fields_before/fields_after
-- (BEFORE is a reserved word) hold the fields that differ (all of them for created and deleted), with the
-- schedule in words. Who: djcelery_periodictasks.actor, which the API, the
-- CLI and the monitor set in the change's own transaction and clear before
-- it commits, so no other session ever reads it set; `sql` when it is
-- null. A session variable would outlive a failed transaction on a pooled
-- connection; the marker row does not, and two writers with different
-- actors cannot mix them up: setting the actor locks the marker row, which
-- every change locks anyway, so the second writer waits until the first has
-- committed with the actor cleared. Beat's bookkeeping (last_run_at,
-- total_run_count, next_run_at) and touches change no audited field, so
-- they write no audit row.
--
-- Marker: MySQL has row triggers only, and nothing in SQL tells one
-- transaction from the next (a statement's NOW() repeats across statements
-- under SET TIMESTAMP, as in binlog replays), so the marker still moves once
-- per row: InnoDB updates the row in place, and a bulk insert stays linear
-- (30,000 rows: about 3.4 s before this migration, see the README). The
-- two-trigger pairs (FOLLOWS) become one trigger each, with BEGIN … END.
-- Text is compared as bytes (the tables' collation ignores case and
-- trailing spaces); times are UTC_TIMESTAMP.

SET @audit_collation = (
    SELECT IF(COUNT(*) > 0, 'utf8mb4_nopad_bin', 'utf8mb4_0900_bin')
    FROM information_schema.COLLATIONS WHERE COLLATION_NAME = 'utf8mb4_nopad_bin'
);

SET @audit_sql = REPLACE('ALTER TABLE `djcelery_periodictasks`
    ADD COLUMN `actor` VARCHAR(255) CHARACTER SET utf8mb4 COLLATE {exact} NULL', '{exact}', @audit_collation);
PREPARE audit_tables FROM @audit_sql;
EXECUTE audit_tables;
DEALLOCATE PREPARE audit_tables;

SET @audit_sql = REPLACE('CREATE TABLE `djcelery_periodictask_audit` (
    `id` INTEGER NOT NULL AUTO_INCREMENT,
    `changed_at` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    `periodic_task_id` INTEGER NOT NULL,
    `name` VARCHAR(255) CHARACTER SET utf8mb4 COLLATE {exact} NOT NULL,
    `action` VARCHAR(255) CHARACTER SET utf8mb4 COLLATE {exact} NOT NULL,
    `actor` VARCHAR(255) CHARACTER SET utf8mb4 COLLATE {exact} NOT NULL,
    `fields_before` LONGTEXT NULL,
    `fields_after` LONGTEXT NULL,

    INDEX `djcelery_periodictask_audit_periodic_task_id_idx`(`periodic_task_id`),
    INDEX `djcelery_periodictask_audit_name_idx`(`name`),
    INDEX `djcelery_periodictask_audit_changed_at_idx`(`changed_at`),
    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci', '{exact}', @audit_collation);
PREPARE audit_tables FROM @audit_sql;
EXECUTE audit_tables;
DEALLOCATE PREPARE audit_tables;

-- The members of JSON object `a` whose values differ (as bytes) in `b`.
CREATE FUNCTION `djcelery_json_changed`(`a` LONGTEXT, `b` LONGTEXT) RETURNS LONGTEXT DETERMINISTIC
BEGIN
    DECLARE `names` LONGTEXT DEFAULT JSON_KEYS(`a`);
    DECLARE `kept` LONGTEXT DEFAULT `a`;
    DECLARE `i` INTEGER DEFAULT 0;
    DECLARE `path` VARCHAR(300);
    WHILE `i` < JSON_LENGTH(`names`) DO
        SET `path` = CONCAT('$.', JSON_EXTRACT(`names`, CONCAT('$[', `i`, ']')));
        IF CAST(JSON_EXTRACT(`a`, `path`) AS BINARY) <=> CAST(JSON_EXTRACT(`b`, `path`) AS BINARY) THEN
            SET `kept` = JSON_REMOVE(`kept`, `path`);
        END IF;
        SET `i` = `i` + 1;
    END WHILE;
    RETURN `kept`;
END;

DROP TRIGGER `djcelery_periodictask_inserted_stamp`;

DROP TRIGGER `djcelery_periodictask_inserted`;

DROP TRIGGER `djcelery_periodictask_updated_stamp`;

DROP TRIGGER `djcelery_periodictask_updated`;

DROP TRIGGER `djcelery_periodictask_deleted_log_row`;

DROP TRIGGER `djcelery_periodictask_deleted_log`;

CREATE TRIGGER `djcelery_periodictask_inserted` BEFORE INSERT ON `djcelery_periodictask`
FOR EACH ROW BEGIN
    INSERT INTO `djcelery_periodictasks` (`ident`, `last_update`, `version`) VALUES (1, UTC_TIMESTAMP(3), 1)
            ON DUPLICATE KEY UPDATE `version` = `version` + 1, `last_update` = VALUES(`last_update`);
    SET NEW.`change_version` = (SELECT `version` FROM `djcelery_periodictasks` WHERE `ident` = 1);
END;

CREATE TRIGGER `djcelery_periodictask_audit_created` AFTER INSERT ON `djcelery_periodictask`
FOR EACH ROW INSERT INTO `djcelery_periodictask_audit` (`changed_at`, `periodic_task_id`, `name`, `action`, `actor`, `fields_before`, `fields_after`)
    VALUES (UTC_TIMESTAMP(3), NEW.`id`, NEW.`name`, 'created', COALESCE((SELECT `actor` FROM `djcelery_periodictasks` WHERE `ident` = 1), 'sql'), NULL,
            JSON_OBJECT(
                'name', NEW.`name`, 'task', NEW.`task`,
                'schedule', CASE
                    WHEN NEW.`interval_id` IS NOT NULL THEN (
                        SELECT IF(s.`every` = 1, CONCAT('every ', LEFT(s.`period`, CHAR_LENGTH(s.`period`) - 1)), CONCAT('every ', s.`every`, ' ', s.`period`))
                        FROM `djcelery_intervalschedule` s WHERE s.`id` = NEW.`interval_id`)
                    WHEN NEW.`crontab_id` IS NOT NULL THEN (
                        SELECT CONCAT('cron ', s.`minute`, ' ', s.`hour`, ' ', s.`day_of_month`, ' ', s.`month_of_year`, ' ', s.`day_of_week`, ' (', s.`timezone`, ')')
                        FROM `djcelery_crontabschedule` s WHERE s.`id` = NEW.`crontab_id`)
                    WHEN NEW.`clocked_id` IS NOT NULL THEN (
                        SELECT CONCAT('once at ', CONCAT(DATE_FORMAT(s.`clocked_time`, '%Y-%m-%dT%H:%i:%s.'), LPAD(FLOOR(MICROSECOND(s.`clocked_time`) / 1000), 3, '0'), 'Z')) FROM `djcelery_clockedschedule` s WHERE s.`id` = NEW.`clocked_id`)
                END,
                'args', NEW.`args`, 'kwargs', NEW.`kwargs`, 'headers', NEW.`headers`, 'queue', NEW.`queue`, 'exchange', NEW.`exchange`,
                'routing_key', NEW.`routing_key`, 'priority', NEW.`priority`, 'expires', CONCAT(DATE_FORMAT(NEW.`expires`, '%Y-%m-%dT%H:%i:%s.'), LPAD(FLOOR(MICROSECOND(NEW.`expires`) / 1000), 3, '0'), 'Z'),
                'expire_seconds', NEW.`expire_seconds`, 'one_off', JSON_EXTRACT(IF(NEW.`one_off`, 'true', 'false'), '$'),
                'start_time', CONCAT(DATE_FORMAT(NEW.`start_time`, '%Y-%m-%dT%H:%i:%s.'), LPAD(FLOOR(MICROSECOND(NEW.`start_time`) / 1000), 3, '0'), 'Z'), 'enabled', JSON_EXTRACT(IF(NEW.`enabled`, 'true', 'false'), '$'),
                'description', NEW.`description`));

-- An edit (a column beat does not own changed) or a touch (change_version
-- set to 0) advances the marker and stamps the row; an edit restamps
-- date_changed. Beat's bookkeeping is neither.
CREATE TRIGGER `djcelery_periodictask_updated` BEFORE UPDATE ON `djcelery_periodictask`
FOR EACH ROW BEGIN
    DECLARE `edited` BOOLEAN DEFAULT NOT ((CAST(OLD.`name` AS BINARY), CAST(OLD.`task` AS BINARY), CAST(OLD.`args` AS BINARY),
              CAST(OLD.`kwargs` AS BINARY), CAST(OLD.`queue` AS BINARY), CAST(OLD.`exchange` AS BINARY),
              CAST(OLD.`routing_key` AS BINARY), CAST(OLD.`headers` AS BINARY), CAST(OLD.`description` AS BINARY),
              OLD.`interval_id`, OLD.`crontab_id`, OLD.`clocked_id`,
              OLD.`priority`, OLD.`expires`, OLD.`expire_seconds`,
              OLD.`one_off`, OLD.`start_time`, OLD.`enabled`)
          <=> (CAST(NEW.`name` AS BINARY), CAST(NEW.`task` AS BINARY), CAST(NEW.`args` AS BINARY),
              CAST(NEW.`kwargs` AS BINARY), CAST(NEW.`queue` AS BINARY), CAST(NEW.`exchange` AS BINARY),
              CAST(NEW.`routing_key` AS BINARY), CAST(NEW.`headers` AS BINARY), CAST(NEW.`description` AS BINARY),
              NEW.`interval_id`, NEW.`crontab_id`, NEW.`clocked_id`,
              NEW.`priority`, NEW.`expires`, NEW.`expire_seconds`,
              NEW.`one_off`, NEW.`start_time`, NEW.`enabled`));
    IF NEW.`change_version` <= 0 OR (NEW.`change_version` = OLD.`change_version` AND `edited`) THEN
        INSERT INTO `djcelery_periodictasks` (`ident`, `last_update`, `version`) VALUES (1, UTC_TIMESTAMP(3), 1)
            ON DUPLICATE KEY UPDATE `version` = `version` + 1, `last_update` = VALUES(`last_update`);
        SET NEW.`change_version` = (SELECT `version` FROM `djcelery_periodictasks` WHERE `ident` = 1);
        IF `edited` THEN
            SET NEW.`date_changed` = UTC_TIMESTAMP(3);
        END IF;
    END IF;
END;

CREATE TRIGGER `djcelery_periodictask_audit_changed` AFTER UPDATE ON `djcelery_periodictask`
FOR EACH ROW BEGIN
    DECLARE `was` LONGTEXT;
    DECLARE `now` LONGTEXT;
    DECLARE `changed_from` LONGTEXT;
    IF NOT ((CAST(OLD.`name` AS BINARY), CAST(OLD.`task` AS BINARY), CAST(OLD.`args` AS BINARY),
              CAST(OLD.`kwargs` AS BINARY), CAST(OLD.`queue` AS BINARY), CAST(OLD.`exchange` AS BINARY),
              CAST(OLD.`routing_key` AS BINARY), CAST(OLD.`headers` AS BINARY), CAST(OLD.`description` AS BINARY),
              OLD.`interval_id`, OLD.`crontab_id`, OLD.`clocked_id`,
              OLD.`priority`, OLD.`expires`, OLD.`expire_seconds`,
              OLD.`one_off`, OLD.`start_time`, OLD.`enabled`)
          <=> (CAST(NEW.`name` AS BINARY), CAST(NEW.`task` AS BINARY), CAST(NEW.`args` AS BINARY),
              CAST(NEW.`kwargs` AS BINARY), CAST(NEW.`queue` AS BINARY), CAST(NEW.`exchange` AS BINARY),
              CAST(NEW.`routing_key` AS BINARY), CAST(NEW.`headers` AS BINARY), CAST(NEW.`description` AS BINARY),
              NEW.`interval_id`, NEW.`crontab_id`, NEW.`clocked_id`,
              NEW.`priority`, NEW.`expires`, NEW.`expire_seconds`,
              NEW.`one_off`, NEW.`start_time`, NEW.`enabled`)) THEN
        SET `was` = JSON_OBJECT(
                'name', OLD.`name`, 'task', OLD.`task`,
                'schedule', CASE
                    WHEN OLD.`interval_id` IS NOT NULL THEN (
                        SELECT IF(s.`every` = 1, CONCAT('every ', LEFT(s.`period`, CHAR_LENGTH(s.`period`) - 1)), CONCAT('every ', s.`every`, ' ', s.`period`))
                        FROM `djcelery_intervalschedule` s WHERE s.`id` = OLD.`interval_id`)
                    WHEN OLD.`crontab_id` IS NOT NULL THEN (
                        SELECT CONCAT('cron ', s.`minute`, ' ', s.`hour`, ' ', s.`day_of_month`, ' ', s.`month_of_year`, ' ', s.`day_of_week`, ' (', s.`timezone`, ')')
                        FROM `djcelery_crontabschedule` s WHERE s.`id` = OLD.`crontab_id`)
                    WHEN OLD.`clocked_id` IS NOT NULL THEN (
                        SELECT CONCAT('once at ', CONCAT(DATE_FORMAT(s.`clocked_time`, '%Y-%m-%dT%H:%i:%s.'), LPAD(FLOOR(MICROSECOND(s.`clocked_time`) / 1000), 3, '0'), 'Z')) FROM `djcelery_clockedschedule` s WHERE s.`id` = OLD.`clocked_id`)
                END,
                'args', OLD.`args`, 'kwargs', OLD.`kwargs`, 'headers', OLD.`headers`, 'queue', OLD.`queue`, 'exchange', OLD.`exchange`,
                'routing_key', OLD.`routing_key`, 'priority', OLD.`priority`, 'expires', CONCAT(DATE_FORMAT(OLD.`expires`, '%Y-%m-%dT%H:%i:%s.'), LPAD(FLOOR(MICROSECOND(OLD.`expires`) / 1000), 3, '0'), 'Z'),
                'expire_seconds', OLD.`expire_seconds`, 'one_off', JSON_EXTRACT(IF(OLD.`one_off`, 'true', 'false'), '$'),
                'start_time', CONCAT(DATE_FORMAT(OLD.`start_time`, '%Y-%m-%dT%H:%i:%s.'), LPAD(FLOOR(MICROSECOND(OLD.`start_time`) / 1000), 3, '0'), 'Z'), 'enabled', JSON_EXTRACT(IF(OLD.`enabled`, 'true', 'false'), '$'),
                'description', OLD.`description`);
        SET `now` = JSON_OBJECT(
                'name', NEW.`name`, 'task', NEW.`task`,
                'schedule', CASE
                    WHEN NEW.`interval_id` IS NOT NULL THEN (
                        SELECT IF(s.`every` = 1, CONCAT('every ', LEFT(s.`period`, CHAR_LENGTH(s.`period`) - 1)), CONCAT('every ', s.`every`, ' ', s.`period`))
                        FROM `djcelery_intervalschedule` s WHERE s.`id` = NEW.`interval_id`)
                    WHEN NEW.`crontab_id` IS NOT NULL THEN (
                        SELECT CONCAT('cron ', s.`minute`, ' ', s.`hour`, ' ', s.`day_of_month`, ' ', s.`month_of_year`, ' ', s.`day_of_week`, ' (', s.`timezone`, ')')
                        FROM `djcelery_crontabschedule` s WHERE s.`id` = NEW.`crontab_id`)
                    WHEN NEW.`clocked_id` IS NOT NULL THEN (
                        SELECT CONCAT('once at ', CONCAT(DATE_FORMAT(s.`clocked_time`, '%Y-%m-%dT%H:%i:%s.'), LPAD(FLOOR(MICROSECOND(s.`clocked_time`) / 1000), 3, '0'), 'Z')) FROM `djcelery_clockedschedule` s WHERE s.`id` = NEW.`clocked_id`)
                END,
                'args', NEW.`args`, 'kwargs', NEW.`kwargs`, 'headers', NEW.`headers`, 'queue', NEW.`queue`, 'exchange', NEW.`exchange`,
                'routing_key', NEW.`routing_key`, 'priority', NEW.`priority`, 'expires', CONCAT(DATE_FORMAT(NEW.`expires`, '%Y-%m-%dT%H:%i:%s.'), LPAD(FLOOR(MICROSECOND(NEW.`expires`) / 1000), 3, '0'), 'Z'),
                'expire_seconds', NEW.`expire_seconds`, 'one_off', JSON_EXTRACT(IF(NEW.`one_off`, 'true', 'false'), '$'),
                'start_time', CONCAT(DATE_FORMAT(NEW.`start_time`, '%Y-%m-%dT%H:%i:%s.'), LPAD(FLOOR(MICROSECOND(NEW.`start_time`) / 1000), 3, '0'), 'Z'), 'enabled', JSON_EXTRACT(IF(NEW.`enabled`, 'true', 'false'), '$'),
                'description', NEW.`description`);
        SET `changed_from` = `djcelery_json_changed`(`was`, `now`);
        -- Schedule rows swapped for identical ones: nothing to show.
        IF JSON_LENGTH(`changed_from`) > 0 THEN
            INSERT INTO `djcelery_periodictask_audit` (`changed_at`, `periodic_task_id`, `name`, `action`, `actor`, `fields_before`, `fields_after`)
                VALUES (UTC_TIMESTAMP(3), NEW.`id`, NEW.`name`,
                        IF(JSON_LENGTH(`changed_from`) = 1 AND JSON_CONTAINS_PATH(`changed_from`, 'one', '$.enabled'),
                           IF(NEW.`enabled`, 'enabled', 'disabled'), 'changed'),
                        COALESCE((SELECT `actor` FROM `djcelery_periodictasks` WHERE `ident` = 1), 'sql'), `changed_from`, `djcelery_json_changed`(`now`, `was`));
        END IF;
    END IF;
END;

-- A deletion is logged for beat and audited.
CREATE TRIGGER `djcelery_periodictask_deleted_log` AFTER DELETE ON `djcelery_periodictask`
FOR EACH ROW BEGIN
    INSERT INTO `djcelery_periodictasks` (`ident`, `last_update`, `version`) VALUES (1, UTC_TIMESTAMP(3), 1)
            ON DUPLICATE KEY UPDATE `version` = `version` + 1, `last_update` = VALUES(`last_update`);
    INSERT INTO `djcelery_periodictask_deleted` (`version`, `periodic_task_id`, `name`, `deleted_at`)
        SELECT `version`, OLD.`id`, OLD.`name`, UTC_TIMESTAMP(3) FROM `djcelery_periodictasks` WHERE `ident` = 1;
    INSERT INTO `djcelery_periodictask_audit` (`changed_at`, `periodic_task_id`, `name`, `action`, `actor`, `fields_before`, `fields_after`)
        VALUES (UTC_TIMESTAMP(3), OLD.`id`, OLD.`name`, 'deleted', COALESCE((SELECT `actor` FROM `djcelery_periodictasks` WHERE `ident` = 1), 'sql'),
                JSON_OBJECT(
                'name', OLD.`name`, 'task', OLD.`task`,
                'schedule', CASE
                    WHEN OLD.`interval_id` IS NOT NULL THEN (
                        SELECT IF(s.`every` = 1, CONCAT('every ', LEFT(s.`period`, CHAR_LENGTH(s.`period`) - 1)), CONCAT('every ', s.`every`, ' ', s.`period`))
                        FROM `djcelery_intervalschedule` s WHERE s.`id` = OLD.`interval_id`)
                    WHEN OLD.`crontab_id` IS NOT NULL THEN (
                        SELECT CONCAT('cron ', s.`minute`, ' ', s.`hour`, ' ', s.`day_of_month`, ' ', s.`month_of_year`, ' ', s.`day_of_week`, ' (', s.`timezone`, ')')
                        FROM `djcelery_crontabschedule` s WHERE s.`id` = OLD.`crontab_id`)
                    WHEN OLD.`clocked_id` IS NOT NULL THEN (
                        SELECT CONCAT('once at ', CONCAT(DATE_FORMAT(s.`clocked_time`, '%Y-%m-%dT%H:%i:%s.'), LPAD(FLOOR(MICROSECOND(s.`clocked_time`) / 1000), 3, '0'), 'Z')) FROM `djcelery_clockedschedule` s WHERE s.`id` = OLD.`clocked_id`)
                END,
                'args', OLD.`args`, 'kwargs', OLD.`kwargs`, 'headers', OLD.`headers`, 'queue', OLD.`queue`, 'exchange', OLD.`exchange`,
                'routing_key', OLD.`routing_key`, 'priority', OLD.`priority`, 'expires', CONCAT(DATE_FORMAT(OLD.`expires`, '%Y-%m-%dT%H:%i:%s.'), LPAD(FLOOR(MICROSECOND(OLD.`expires`) / 1000), 3, '0'), 'Z'),
                'expire_seconds', OLD.`expire_seconds`, 'one_off', JSON_EXTRACT(IF(OLD.`one_off`, 'true', 'false'), '$'),
                'start_time', CONCAT(DATE_FORMAT(OLD.`start_time`, '%Y-%m-%dT%H:%i:%s.'), LPAD(FLOOR(MICROSECOND(OLD.`start_time`) / 1000), 3, '0'), 'Z'), 'enabled', JSON_EXTRACT(IF(OLD.`enabled`, 'true', 'false'), '$'),
                'description', OLD.`description`), NULL);
END;
