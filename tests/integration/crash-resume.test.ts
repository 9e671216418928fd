// Back at once after a real outage: PostgreSQL and MariaDB are private
// servers that are killed (pg_ctl stop -m immediate, SIGKILL) and started
// again on the same data; on SQLite another connection holds the write lock.
// Beat, the camera and the result backend all meet the outage, and within
// 2 s of the database's return beat has sent a run, the camera has written
// the events received meanwhile and every store made meanwhile is
// committed; no run is lost or sent twice, none is sent while it could not
// be claimed.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithBroker, testBrokerUrl } from '../support/broker.js';
import { describeUnlessMissing } from '../support/gates.js';
import { selectedProviders } from '../support/providers.js';
import { privateServerMissing } from '../support/private-servers.js';
import { measureResume, openOutage, type Outage } from '../support/resume-scenario.js';

const RESUME_MS = 2000;

describeWithBroker('resume after a database outage', () => {
  for (const provider of selectedProviders()) {
    describeUnlessMissing(provider === 'sqlite' ? null : privateServerMissing(provider), provider, () => {
      let outage: Outage;
      beforeAll(async () => {
        outage = await openOutage(provider);
      }, 120_000);
      afterAll(() => outage?.close());

      it(`beat, the camera and the backend are back within ${RESUME_MS} ms`, { timeout: 180_000 }, async () => {
        const result = await measureResume(outage, {
          brokerUrl: testBrokerUrl(),
          downMs: 2000,
          // The camera snapshots every 5 s: only probing brings it back sooner.
          cameraFreq: 5,
          tasks: 100,
          stores: 20,
          // better-sqlite3 waits out a lock synchronously: a short wait keeps the test's own timers on time.
          database: { sqliteBusyTimeoutMs: 200 },
          ...(process.env.DEBUG_RESUME && { log: (line: string) => console.log(line) }),
        });
        const figures = JSON.stringify(result);
        expect(result, figures).toMatchObject({
          duplicateSends: 0,
          sendsWhileDown: 0,
          entriesNotResumed: 0,
          tasksWritten: 100,
          storesCommitted: 20,
          storesFailed: 0,
        });
        expect(result.sends, `every claimed run was sent, and only those: ${figures}`).toBe(result.claimed);
        expect(result.beatMs, `beat: ${figures}`).toBeLessThan(RESUME_MS);
        expect(result.cameraMs, `camera: ${figures}`).toBeLessThan(RESUME_MS);
        expect(result.backendMs, `backend: ${figures}`).toBeLessThan(RESUME_MS);
      });
    });
  }
});
