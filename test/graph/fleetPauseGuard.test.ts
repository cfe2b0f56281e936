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
    expect(guard.distrusts()).toBe(false);
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
    expect(guard.distrusts()).toBe(true);
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
    expect(guard.distrusts()).toBe(true);
    event(guard);
    expect(guard.distrusts()).toBe(false);
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
});
