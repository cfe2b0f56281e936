import { describe, expect, it } from "vitest";
import { type LimiterTime, type WindowLimit, WindowLimiter } from "../../shared/http/windowLimiter.js";
import type { CounterKey, CounterStore } from "../../shared/sync/counterStore.js";

const reader = "3f1c2a9e-8b7d-4c6e-9a51-0d2e4f6a8b10";
const otherReader = "7a2b4c6d-1e3f-4a5b-8c7d-9e0f1a2b3c4d";
const key = (subject: string, windowSeconds = 60): CounterKey => ({ subject, windowSeconds });
const perMinute = (perWindow: number): WindowLimit => ({ name: "reads", perWindow, windowSeconds: 60 });

/** A limiter's time standing still at `start` (10:00:15 UTC) until a test moves it; waits take no time. */
function stillTime(start = Date.parse("2026-11-24T10:00:15.000Z")): LimiterTime & { move(ms: number): void } {
  let now = start;
  return {
    now: () => now,
    sleep: async () => undefined,
    move: (ms) => {
      now += ms;
    },
  };
}

/**
 * What a CounterStore promises (shared/sync/counterStore.ts), run against the in-memory double and the Table
 * adapter on Azurite alike: a save holds only on the version loaded, so counts are never lost to a race; and the
 * limiter over it holds one limit for any number of app instances (two limiters on one store).
 */
export function counterStoreContract(name: string, create: () => Promise<CounterStore> | CounterStore): void {
  describe(`${name} as a CounterStore`, () => {
    it("has no row for a subject never counted", async () => {
      expect(await (await create()).load(key(`reads:${reader}`))).toEqual({
        row: undefined,
        version: undefined,
      });
    });

    it("reads back a saved row with its new version", async () => {
      const store = await create();
      expect(await store.save(key("reads:a"), { windowStart: 60_000, count: 3 }, undefined)).toBe("saved");
      const reading = await store.load(key("reads:a"));
      expect(reading.row).toEqual({ windowStart: 60_000, count: 3 });
      expect(reading.version).toEqual(expect.any(String));
    });

    it("refuses a create where another instance created the row first", async () => {
      const store = await create();
      await store.save(key("reads:a"), { windowStart: 60_000, count: 1 }, undefined);
      expect(await store.save(key("reads:a"), { windowStart: 60_000, count: 1 }, undefined)).toBe("conflict");
      expect((await store.load(key("reads:a"))).row?.count).toBe(1);
    });

    it("refuses a save on a version another instance has saved over, keeping the winner's count", async () => {
      const store = await create();
      await store.save(key("reads:a"), { windowStart: 60_000, count: 1 }, undefined);
      const both = await store.load(key("reads:a"));
      expect(await store.save(key("reads:a"), { windowStart: 60_000, count: 2 }, both.version)).toBe("saved");
      expect(await store.save(key("reads:a"), { windowStart: 60_000, count: 2 }, both.version)).toBe(
        "conflict",
      );
      const after = await store.load(key("reads:a"));
      expect(after.row?.count).toBe(2);
      expect(after.version).not.toBe(both.version);
    });

    it.each([
      ["subjects", key("events:webhook:hr/events#1a2b3c4d"), key("events:webhook:hr/events#5e6f7a8b")],
      ["characters a table key may not hold", key("events:a/b?c#d\\e"), key("events:a-b-c-d-e")],
      ["window lengths", key("reads:a", 60), key("reads:a", 3600)],
    ])("keeps counters apart that differ only in %s", async (_, first, second) => {
      const store = await create();
      await store.save(first, { windowStart: 0, count: 7 }, undefined);
      expect((await store.load(second)).row).toBeUndefined();
      expect((await store.load(first)).row?.count).toBe(7);
    });
  });

  describe(`a read limit kept in ${name}`, () => {
    it("refuses the 31st read of a caller in one minute and takes nothing for it", async () => {
      const store = await create();
      const limiter = new WindowLimiter(perMinute(30), store, stillTime());
      for (let read = 1; read <= 30; read++) expect((await limiter.take(reader)).ok).toBe(true);
      expect(await limiter.take(reader)).toMatchObject({ ok: false, why: "limitReached", used: 30 });
      expect((await store.load(key(`reads:${reader}`))).row?.count).toBe(30);
    });

    it("holds the limit across two app instances counting into the same store", async () => {
      const store = await create();
      const time = stillTime();
      const instances = [
        new WindowLimiter(perMinute(30), store, time),
        new WindowLimiter(perMinute(30), store, time),
      ];
      const answers = [];
      for (let read = 0; read < 31; read++) answers.push(await instances[read % 2]?.take(reader));
      expect(answers.filter((answer) => answer?.ok)).toHaveLength(30);
      expect(answers.at(-1)).toMatchObject({ ok: false, why: "limitReached" });
    });

    it("loses no count when two instances take at the same moment", async () => {
      const store = await create();
      const time = stillTime();
      const instances = [
        new WindowLimiter(perMinute(5), store, time),
        new WindowLimiter(perMinute(5), store, time),
      ];
      const answers = await Promise.all(
        Array.from({ length: 8 }, (_, i) => instances[i % 2]?.take(reader) ?? Promise.reject()),
      );
      const taken = answers.filter((answer) => answer.ok).length;
      expect(taken).toBeLessThanOrEqual(5);
      expect(taken).toBeGreaterThan(0);
      expect((await store.load(key(`reads:${reader}`))).row?.count).toBe(taken);
    });

    it("counts another caller apart", async () => {
      const store = await create();
      const limiter = new WindowLimiter(perMinute(2), store, stillTime());
      await limiter.take(reader);
      await limiter.take(reader);
      expect((await limiter.take(reader)).ok).toBe(false);
      expect(await limiter.take(otherReader)).toMatchObject({ ok: true, used: 1, remaining: 1 });
    });

    it("starts afresh in the next minute, and says when that is while it refuses", async () => {
      const store = await create();
      const time = stillTime();
      const limiter = new WindowLimiter(perMinute(1), store, time);
      await limiter.take(reader);
      const refused = await limiter.take(reader);
      expect(refused).toMatchObject({ ok: false, retryAfterSeconds: 45 });
      expect(refused.resetsAt.toISOString()).toBe("2026-11-24T10:01:00.000Z");
      time.move(45_000);
      expect(await limiter.take(reader)).toMatchObject({ ok: true, used: 1 });
    });
  });
}
