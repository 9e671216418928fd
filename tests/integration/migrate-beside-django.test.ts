// `migrate deploy` on a database that Django's own migrations made first:
// our tables go in beside Django's (other apps' tables are no reason to
// refuse), and both sets work afterwards.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PrismaResultBackend } from '../../src/backend/index.js';
import { migrateDeploy, migrateStatus } from '../../src/migrate/index.js';
import { runCliCaptured } from '../support/cli-in-process.js';
import { describeEachDatabase } from '../support/databases.js';
import { DjangoBeat, missingDjangoBeat } from '../support/django-beat.js';
import { describeUnlessMissing } from '../support/gates.js';

describeUnlessMissing(missingDjangoBeat(), 'migrate deploy beside Django', () => {
  describeEachDatabase(
    'migrate deploy on a database Django migrated first',
    (tdb) => {
      let django: DjangoBeat;

      beforeAll(async () => {
        django = new DjangoBeat(tdb.url);
        await django.send({ op: 'migrate' });
        await django.send({ op: 'save', name: 'before-deploy', task: 'tasks.before', every: 60 });
      }, 60_000);
      afterAll(() => django[Symbol.asyncDispose]());

      it('applies our migrations, then Django and we both use our own tables', async () => {
        const { applied } = await migrateDeploy(tdb.url);
        expect(applied.length).toBeGreaterThan(0);
        expect((await migrateStatus(tdb.url)).upToDate).toBe(true);

        await django.send({ op: 'save', name: 'after-deploy', task: 'tasks.after', every: 30 });
        const listed = await runCliCaptured(['schedule', 'list', '--layout', 'django', '--database-url', tdb.url]);
        expect(listed.code).toBe(0);
        expect(listed.stdout).toContain('before-deploy');
        expect(listed.stdout).toContain('after-deploy');

        const db = await tdb.open();
        const backend = new PrismaResultBackend(db);
        await backend.storeResult('beside-django-1', 42, 'SUCCESS');
        expect(await backend.getTaskMeta('beside-django-1')).toMatchObject({ status: 'SUCCESS', result: 42 });
      });
    },
    { migrate: false },
  );
});
