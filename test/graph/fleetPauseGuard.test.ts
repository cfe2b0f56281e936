import { describe, expect, it } from "vitest";
import { FleetPauseGuard } from "../../shared/graph/fleetPauseGuard.js";

const minutes = (n: number) => n * 60_000;

/** A guard on a clock the test moves, with a 15-minute bound. */
function guarded() {
  let now = 0;
  const guard = new FleetPauseGuard(() => now, minutes(15));
  return { guard, wait: (ms: number) => (now += ms) };
}

describe("FleetPauseGuard", () => {
  it("honours row pauses in full while the hold is short", () => {
    const { guard } = guarded();
    expect(guard.honour(30_000)).toBe(30_000);
    expect(guard.distrusts()).toBeUndefined();
  });

  it("honours a pause renewed every 5 minutes only up to 15 minutes in all, then not at all", () => {
    const { guard, wait } = guarded();
    const honoured: number[] = [];
    for (let i = 0; i < 5; i++) {
      const ms = guard.honour(minutes(5));
      honoured.push(ms);
      wait(ms);
    }
    expect(honoured).toEqual([minutes(5), minutes(5), minutes(5), 0, 0]);
    expect(guard.distrusts()).toBe("paused");
    expect(guard.heldForMs()).toBe(minutes(15));
  });

  it("cuts the pause that would cross the bound to what is left of it", () => {
    const { guard, wait } = guarded();
    wait(guard.honour(minutes(4)));
    wait(guard.honour(minutes(4)));
    wait(guard.honour(minutes(4)));
    expect(guard.honour(minutes(4))).toBe(minutes(3));
  });

  it.each([
    ["the row shows no pause", (guard: FleetPauseGuard) => guard.honour(0)],
    ["Graph answers this process 429", (guard: FleetPauseGuard) => guard.throttled()],
  ])("believes the row again, with a fresh 15 minutes, once %s", (_, event) => {
    const { guard, wait } = guarded();
    for (let i = 0; i < 4; i++) wait(guard.honour(minutes(5)) || 1);
    expect(guard.distrusts()).toBe("paused");
    event(guard);
    expect(guard.distrusts()).toBeUndefined();
    expect(guard.honour(minutes(5))).toBe(minutes(5));
  });

  it("starts a new hold when the process came back long after the last pause ended (it was idle, not held)", () => {
    const { guard, wait } = guarded();
    wait(guard.honour(minutes(5)));
    wait(guard.honour(minutes(5)));
    wait(minutes(30));
    expect(guard.honour(minutes(5))).toBe(minutes(5));
    expect(guard.heldForMs()).toBe(0);
  });

  describe("a row that grants nothing (starvation)", () => {
    /**
     * Visits the row every 3 s for `forMs`, wanting `wanted` tokens each time; `granted(i)` is what visit i gets.
     * Returns the guard as it stands after the last visit.
     */
    function visits(forMs: number, granted: (i: number) => number, wanted = 60) {
      const { guard, wait } = guarded();
      for (let i = 0, t = 0; t <= forMs; i++, t += 3_000) {
        guard.served(wanted, granted(i), 3_000);
        wait(3_000);
      }
      return guard;
    }
    const none = () => 0;

    it.each([
      // The attack: someone keeps the row's tokens at 0 with no pause.
      ["granted nothing at any visit for 15 min", "starved", visits(minutes(15), none)],
      ["granted nothing for 14 min", undefined, visits(minutes(14), none)],
      // An honest busy fleet: many processes share the refill, each gets a few tokens now and then.
      ["granted a lease at every visit", undefined, visits(minutes(60), () => 60)],
      [
        "granted one token every 100 visits (5 min), for an hour",
        undefined,
        visits(minutes(60), (i) => (i % 100 === 99 ? 1 : 0)),
      ],
      [
        "granted one token 14 min in, then nothing for 14 min",
        undefined,
        visits(minutes(28), (i) => (i === 280 ? 1 : 0)),
      ],
      // Looking at the row (wanting nothing, as a run's first look does) is not being starved.
      ["only looking at the row, for an hour", undefined, visits(minutes(60), none, 0)],
    ] as const)("%s → %s", (_, verdict, guard) => {
      expect(guard.distrusts()).toBe(verdict);
    });

    it("counts from the first visit that got nothing, and says so in heldForMs", () => {
      const guard = visits(minutes(15), none);
      expect(guard.distrusts()).toBe("starved");
      expect(guard.heldForMs()).toBeGreaterThanOrEqual(minutes(15));
    });

    it("starts anew when the process was idle in between (it wanted nothing, it was not held)", () => {
      const { guard, wait } = guarded();
      for (let t = 0; t < minutes(10); t += 3_000) {
        guard.served(60, 0, 3_000);
        wait(3_000);
      }
      wait(minutes(30));
      for (let t = 0; t < minutes(10); t += 3_000) {
        guard.served(60, 0, 3_000);
        wait(3_000);
      }
      expect(guard.distrusts()).toBeUndefined();
    });

    it.each([
      ["the row grants a token", (guard: FleetPauseGuard) => guard.served(60, 1, 0)],
      ["Graph answers this process 429", (guard: FleetPauseGuard) => guard.throttled()],
    ])("believes the row again once %s", (_, event) => {
      const guard = visits(minutes(16), none);
      expect(guard.distrusts()).toBe("starved");
      event(guard);
      expect(guard.distrusts()).toBeUndefined();
    });

    it("stays starved when the row only stops a pause it does not grant from", () => {
      const guard = visits(minutes(16), none);
      guard.honour(0);
      expect(guard.distrusts()).toBe("starved");
    });

    it("bounds a row that alternates pauses and emptiness: 15 min without a token in all", () => {
      const { guard, wait } = guarded();
      // 10 min paused (honoured: within the pause bound), then no pause and no tokens.
      for (let t = 0; t < minutes(10); ) {
        const honoured = guard.honour(minutes(5));
        guard.served(60, 0, honoured);
        wait(honoured);
        t += honoured;
      }
      for (let t = 0; t < minutes(5); t += 3_000) {
        guard.honour(0);
        guard.served(60, 0, 3_000);
        wait(3_000);
      }
      guard.honour(0);
      guard.served(60, 0, 3_000);
      expect(guard.distrusts()).toBe("starved");
      // And once starved, a fresh pause is not honoured either.
      expect(guard.honour(minutes(5))).toBe(0);
    });
  });
});
