-- CreateTable
CREATE TABLE `celery_taskmeta` (
    `id` INTEGER NOT NULL AUTO_INCREMENT,
    `task_id` VARCHAR(255) NOT NULL,
    `status` VARCHAR(255) NOT NULL DEFAULT 'PENDING',
    `result` LONGTEXT NULL,
    `date_done` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    `traceback` LONGTEXT NULL,
    `hidden` BOOLEAN NOT NULL DEFAULT false,
    `meta` LONGTEXT NULL,
    `name` VARCHAR(255) NULL,
    `args` LONGTEXT NULL,
    `kwargs` LONGTEXT NULL,
    `worker` VARCHAR(255) NULL,
    `retries` INTEGER NULL,
    `queue` VARCHAR(255) NULL,
    `date_created` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    `date_started` DATETIME(3) NULL,

    UNIQUE INDEX `celery_taskmeta_task_id_key`(`task_id`),
    INDEX `celery_taskmeta_date_done_idx`(`date_done`),
    INDEX `celery_taskmeta_hidden_idx`(`hidden`),
    INDEX `celery_taskmeta_status_idx`(`status`),
    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

-- CreateTable
CREATE TABLE `celery_tasksetmeta` (
    `id` INTEGER NOT NULL AUTO_INCREMENT,
    `taskset_id` VARCHAR(255) NOT NULL,
    `result` LONGTEXT NOT NULL,
    `date_done` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    `hidden` BOOLEAN NOT NULL DEFAULT false,

    UNIQUE INDEX `celery_tasksetmeta_taskset_id_key`(`taskset_id`),
    INDEX `celery_tasksetmeta_date_done_idx`(`date_done`),
    INDEX `celery_tasksetmeta_hidden_idx`(`hidden`),
    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

-- CreateTable
CREATE TABLE `djcelery_intervalschedule` (
    `id` INTEGER NOT NULL AUTO_INCREMENT,
    `every` INTEGER NOT NULL,
    `period` VARCHAR(255) NOT NULL,

    UNIQUE INDEX `djcelery_intervalschedule_every_period_key`(`every`, `period`),
    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

-- CreateTable
CREATE TABLE `djcelery_crontabschedule` (
    `id` INTEGER NOT NULL AUTO_INCREMENT,
    `minute` VARCHAR(255) NOT NULL DEFAULT '*',
    `hour` VARCHAR(255) NOT NULL DEFAULT '*',
    `day_of_week` VARCHAR(255) NOT NULL DEFAULT '*',
    `day_of_month` VARCHAR(255) NOT NULL DEFAULT '*',
    `month_of_year` VARCHAR(255) NOT NULL DEFAULT '*',
    `timezone` VARCHAR(255) NOT NULL DEFAULT 'UTC',

    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

-- CreateTable
CREATE TABLE `djcelery_clockedschedule` (
    `id` INTEGER NOT NULL AUTO_INCREMENT,
    `clocked_time` DATETIME(3) NOT NULL,

    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

-- CreateTable
-- The LONGTEXT defaults are written as expressions, ('[]'): MySQL 8.0.13+
-- accepts no literal default on TEXT/BLOB columns (Prisma would render
-- DEFAULT '[]', which only MariaDB accepts). Both read the same value.
CREATE TABLE `djcelery_periodictask` (
    `id` INTEGER NOT NULL AUTO_INCREMENT,
    `name` VARCHAR(255) NOT NULL,
    `task` VARCHAR(255) NOT NULL,
    `interval_id` INTEGER NULL,
    `crontab_id` INTEGER NULL,
    `clocked_id` INTEGER NULL,
    `args` LONGTEXT NOT NULL DEFAULT ('[]'),
    `kwargs` LONGTEXT NOT NULL DEFAULT ('{}'),
    `queue` VARCHAR(255) NULL,
    `exchange` VARCHAR(255) NULL,
    `routing_key` VARCHAR(255) NULL,
    `headers` LONGTEXT NOT NULL DEFAULT ('{}'),
    `priority` INTEGER NULL,
    `expires` DATETIME(3) NULL,
    `expire_seconds` INTEGER NULL,
    `one_off` BOOLEAN NOT NULL DEFAULT false,
    `start_time` DATETIME(3) NULL,
    `enabled` BOOLEAN NOT NULL DEFAULT true,
    `last_run_at` DATETIME(3) NULL,
    `total_run_count` INTEGER NOT NULL DEFAULT 0,
    `next_run_at` DATETIME(3) NULL,
    `date_changed` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    `description` LONGTEXT NOT NULL DEFAULT (''),

    UNIQUE INDEX `djcelery_periodictask_name_key`(`name`),
    INDEX `djcelery_periodictask_interval_id_idx`(`interval_id`),
    INDEX `djcelery_periodictask_crontab_id_idx`(`crontab_id`),
    INDEX `djcelery_periodictask_clocked_id_idx`(`clocked_id`),
    INDEX `djcelery_periodictask_enabled_next_run_at_idx`(`enabled`, `next_run_at`),
    INDEX `djcelery_periodictask_date_changed_idx`(`date_changed`),
    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

-- CreateTable
CREATE TABLE `djcelery_periodictasks` (
    `ident` INTEGER NOT NULL,
    `last_update` DATETIME(3) NOT NULL,

    PRIMARY KEY (`ident`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

-- CreateTable
CREATE TABLE `djcelery_workerstate` (
    `id` INTEGER NOT NULL AUTO_INCREMENT,
    `hostname` VARCHAR(255) NOT NULL,
    `last_heartbeat` DATETIME(3) NULL,

    UNIQUE INDEX `djcelery_workerstate_hostname_key`(`hostname`),
    INDEX `djcelery_workerstate_last_heartbeat_idx`(`last_heartbeat`),
    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

-- CreateTable
CREATE TABLE `djcelery_taskstate` (
    `id` INTEGER NOT NULL AUTO_INCREMENT,
    `state` VARCHAR(255) NOT NULL,
    `task_id` VARCHAR(255) NOT NULL,
    `name` VARCHAR(255) NULL,
    `tstamp` DATETIME(3) NOT NULL,
    `args` LONGTEXT NULL,
    `kwargs` LONGTEXT NULL,
    `eta` DATETIME(3) NULL,
    `expires` DATETIME(3) NULL,
    `result` LONGTEXT NULL,
    `traceback` LONGTEXT NULL,
    `runtime` DOUBLE NULL,
    `retries` INTEGER NOT NULL DEFAULT 0,
    `worker_id` INTEGER NULL,
    `hidden` BOOLEAN NOT NULL DEFAULT false,

    UNIQUE INDEX `djcelery_taskstate_task_id_key`(`task_id`),
    INDEX `djcelery_taskstate_state_tstamp_idx`(`state`, `tstamp`),
    INDEX `djcelery_taskstate_tstamp_idx`(`tstamp`),
    INDEX `djcelery_taskstate_name_idx`(`name`),
    INDEX `djcelery_taskstate_worker_id_idx`(`worker_id`),
    INDEX `djcelery_taskstate_hidden_idx`(`hidden`),
    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

-- AddForeignKey
ALTER TABLE `djcelery_periodictask` ADD CONSTRAINT `djcelery_periodictask_interval_id_fkey` FOREIGN KEY (`interval_id`) REFERENCES `djcelery_intervalschedule`(`id`) ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE `djcelery_periodictask` ADD CONSTRAINT `djcelery_periodictask_crontab_id_fkey` FOREIGN KEY (`crontab_id`) REFERENCES `djcelery_crontabschedule`(`id`) ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE `djcelery_periodictask` ADD CONSTRAINT `djcelery_periodictask_clocked_id_fkey` FOREIGN KEY (`clocked_id`) REFERENCES `djcelery_clockedschedule`(`id`) ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE `djcelery_taskstate` ADD CONSTRAINT `djcelery_taskstate_worker_id_fkey` FOREIGN KEY (`worker_id`) REFERENCES `djcelery_workerstate`(`id`) ON DELETE SET NULL ON UPDATE CASCADE;
