-- Beat's bookkeeping is never an edit.
--
-- beat_change_tracking counted an UPDATE of last_run_at/total_run_count
-- that was not beat's +1 claim as an edit: beat's give-back (−1) then
-- restamped date_changed, and an entry that never ran and has no start_time
-- counts its schedule from date_changed, so a daily crontab whose first
-- publish failed once was next due a day later.
--
-- From here on the columns beat owns (last_run_at, total_run_count,
-- next_run_at) never count, whoever writes them:
-- - an edit (a change of any other column but date_changed) advances the
--   marker, stamps change_version and restamps date_changed, as before;
-- - a touch (change_version set to 0) advances the marker and stamps
--   change_version only: every beat re-reads the row, but its schedule
--   still counts from the same instant. Beat touches the row when it gives
--   a run back, so that another beat may send it at once;
-- - anything else (beat's claims and give-backs, a raw reset of
--   total_run_count) is not a change. Touch the row too if a running beat
--   must see it.
-- MySQL: each trigger body is one statement, so the row value of the
-- columns is written out where each of the two triggers needs it. Text is
-- compared as bytes (the tables' collation ignores case and trailing
-- spaces). SET assigns left to right: date_changed is decided before
-- change_version is stamped.

DROP TRIGGER `djcelery_periodictask_updated_stamp`;

DROP TRIGGER `djcelery_periodictask_updated`;

CREATE TRIGGER `djcelery_periodictask_updated` BEFORE UPDATE ON `djcelery_periodictask`
FOR EACH ROW INSERT INTO `djcelery_periodictasks` (`ident`, `last_update`, `version`)
    SELECT 1, UTC_TIMESTAMP(3), 1 FROM DUAL WHERE NEW.`change_version` <= 0
    OR (NEW.`change_version` = OLD.`change_version` AND
        NOT ((CAST(OLD.`name` AS BINARY), CAST(OLD.`task` AS BINARY), CAST(OLD.`args` AS BINARY),
              CAST(OLD.`kwargs` AS BINARY), CAST(OLD.`queue` AS BINARY), CAST(OLD.`exchange` AS BINARY),
              CAST(OLD.`routing_key` AS BINARY), CAST(OLD.`headers` AS BINARY), CAST(OLD.`description` AS BINARY),
              OLD.`interval_id`, OLD.`crontab_id`, OLD.`clocked_id`, OLD.`priority`, OLD.`expires`,
              OLD.`expire_seconds`, OLD.`one_off`, OLD.`start_time`, OLD.`enabled`)
          <=> (CAST(NEW.`name` AS BINARY), CAST(NEW.`task` AS BINARY), CAST(NEW.`args` AS BINARY),
              CAST(NEW.`kwargs` AS BINARY), CAST(NEW.`queue` AS BINARY), CAST(NEW.`exchange` AS BINARY),
              CAST(NEW.`routing_key` AS BINARY), CAST(NEW.`headers` AS BINARY), CAST(NEW.`description` AS BINARY),
              NEW.`interval_id`, NEW.`crontab_id`, NEW.`clocked_id`, NEW.`priority`, NEW.`expires`,
              NEW.`expire_seconds`, NEW.`one_off`, NEW.`start_time`, NEW.`enabled`)))
    ON DUPLICATE KEY UPDATE `version` = `version` + 1, `last_update` = VALUES(`last_update`);

CREATE TRIGGER `djcelery_periodictask_updated_stamp` BEFORE UPDATE ON `djcelery_periodictask`
FOR EACH ROW FOLLOWS `djcelery_periodictask_updated`
SET NEW.`date_changed` = IF((NEW.`change_version` <= 0 OR NEW.`change_version` = OLD.`change_version`) AND
        NOT ((CAST(OLD.`name` AS BINARY), CAST(OLD.`task` AS BINARY), CAST(OLD.`args` AS BINARY),
              CAST(OLD.`kwargs` AS BINARY), CAST(OLD.`queue` AS BINARY), CAST(OLD.`exchange` AS BINARY),
              CAST(OLD.`routing_key` AS BINARY), CAST(OLD.`headers` AS BINARY), CAST(OLD.`description` AS BINARY),
              OLD.`interval_id`, OLD.`crontab_id`, OLD.`clocked_id`, OLD.`priority`, OLD.`expires`,
              OLD.`expire_seconds`, OLD.`one_off`, OLD.`start_time`, OLD.`enabled`)
          <=> (CAST(NEW.`name` AS BINARY), CAST(NEW.`task` AS BINARY), CAST(NEW.`args` AS BINARY),
              CAST(NEW.`kwargs` AS BINARY), CAST(NEW.`queue` AS BINARY), CAST(NEW.`exchange` AS BINARY),
              CAST(NEW.`routing_key` AS BINARY), CAST(NEW.`headers` AS BINARY), CAST(NEW.`description` AS BINARY),
              NEW.`interval_id`, NEW.`crontab_id`, NEW.`clocked_id`, NEW.`priority`, NEW.`expires`,
              NEW.`expire_seconds`, NEW.`one_off`, NEW.`start_time`, NEW.`enabled`)),
        UTC_TIMESTAMP(3), NEW.`date_changed`),
    NEW.`change_version` = IF(NEW.`change_version` <= 0
        OR (NEW.`change_version` = OLD.`change_version` AND
            NOT ((CAST(OLD.`name` AS BINARY), CAST(OLD.`task` AS BINARY), CAST(OLD.`args` AS BINARY),
                  CAST(OLD.`kwargs` AS BINARY), CAST(OLD.`queue` AS BINARY), CAST(OLD.`exchange` AS BINARY),
                  CAST(OLD.`routing_key` AS BINARY), CAST(OLD.`headers` AS BINARY), CAST(OLD.`description` AS BINARY),
                  OLD.`interval_id`, OLD.`crontab_id`, OLD.`clocked_id`, OLD.`priority`, OLD.`expires`,
                  OLD.`expire_seconds`, OLD.`one_off`, OLD.`start_time`, OLD.`enabled`)
              <=> (CAST(NEW.`name` AS BINARY), CAST(NEW.`task` AS BINARY), CAST(NEW.`args` AS BINARY),
                  CAST(NEW.`kwargs` AS BINARY), CAST(NEW.`queue` AS BINARY), CAST(NEW.`exchange` AS BINARY),
                  CAST(NEW.`routing_key` AS BINARY), CAST(NEW.`headers` AS BINARY), CAST(NEW.`description` AS BINARY),
                  NEW.`interval_id`, NEW.`crontab_id`, NEW.`clocked_id`, NEW.`priority`, NEW.`expires`,
                  NEW.`expire_seconds`, NEW.`one_off`, NEW.`start_time`, NEW.`enabled`))),
        (SELECT `version` FROM `djcelery_periodictasks` WHERE `ident` = 1), NEW.`change_version`);
