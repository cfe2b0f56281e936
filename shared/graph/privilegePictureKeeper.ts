import { type PrivilegePicture, privilegePictureOf } from "../directory/privilegePicture.js";
import { type PrivilegeReader, readPrivilegeFacts } from "./graphPrivilege.js";

export interface PrivilegePictureKeeperOptions {
  protectedGroupIds: ReadonlySet<string>;
  /** How old a picture may be (its reads began at most this long ago) and still be used. */
  maxAgeMs: number;
  /** Clock in ms (tests move it). */
  now: () => number;
}

/** A privilege picture being read or read, and when its reads began. */
interface PictureRead {
  read: Promise<PrivilegePicture>;
  at: number;
}

// A tenant without PIM is asked again this often (a P2 licence may be bought), and role names are re-read as often.
const editionMaxAgeMs = 3600_000;

/**
 * Keeps the tenant-wide privilege picture fresh for one adapter: the newest picture read without a gap, the one
 * being read, and what a process learns once and re-checks hourly (role names, whether the tenant has PIM).
 */
export class PrivilegePictureKeeper {
  /** Role names by definition id, kept an hour (a custom role may be renamed); only roles granted are read. */
  private roleNames: { names: ReadonlyMap<string, string>; at: number } = { names: new Map(), at: 0 };
  /** When this process last learnt the tenant has no PIM (Graph's licence refusal); asked again after an hour. */
  private noPimSince: number | undefined;
  /** The newest picture read without a gap, and the one being read. */
  private current: PictureRead | undefined;
  private next: PictureRead | undefined;

  constructor(
    private readonly reader: PrivilegeReader,
    private readonly options: PrivilegePictureKeeperOptions,
  ) {}

  /**
   * The picture (`readPrivilegeFacts`), used while its reads began at most `maxAgeMs` ago and shared by concurrent
   * callers (the next one is read in the background past half that age); a failed or partial read is not kept.
   * Throws when no read of it answered usefully (a missing permission, an outage); partial gaps stay in the
   * picture (fail closed per user).
   */
  picture(): Promise<PrivilegePicture> {
    const now = this.options.now();
    const maxAgeMs = this.options.maxAgeMs;
    const fresh = (p: PictureRead | undefined) => p !== undefined && now - p.at <= maxAgeMs;
    if (fresh(this.current)) {
      // Past half its bound, the next picture is read in the background, so writes don't stop and wait for it.
      const current = this.current as PictureRead;
      if (now - current.at > maxAgeMs / 2 && !this.next) this.start(now);
      return current.read;
    }
    if (!fresh(this.next)) this.start(now);
    return (this.next as PictureRead).read;
  }

  /**
   * Starts a picture read; it becomes the current picture once it answers without a gap. A picture with a gap, or a
   * failed read, answers the callers already waiting for it (fail closed) and is never kept: the next call asks again.
   */
  private start(now: number): void {
    const next: PictureRead = { read: this.read(now), at: now };
    this.next = next;
    const settle = (keep: boolean) => {
      if (this.next === next) this.next = undefined;
      if (keep && (!this.current || this.current.at < next.at)) this.current = next;
    };
    next.read.then(
      (picture) => settle(picture.gap === undefined),
      () => settle(false),
    );
  }

  private async read(startedAt: number): Promise<PrivilegePicture> {
    const askPim = this.noPimSince === undefined || startedAt - this.noPimSince > editionMaxAgeMs;
    const namesFresh = startedAt - this.roleNames.at <= editionMaxAgeMs;
    const facts = await readPrivilegeFacts(this.reader, {
      protectedGroupIds: this.options.protectedGroupIds,
      askPim,
      roleNames: namesFresh ? this.roleNames.names : new Map(),
    });
    if (!facts.pim && askPim) this.noPimSince = startedAt;
    if (facts.pim) this.noPimSince = undefined;
    this.roleNames = { names: facts.roleNames, at: namesFresh ? this.roleNames.at : startedAt };
    const picture = privilegePictureOf(facts, new Date(startedAt));
    // Nothing at all could be read: say so as the error it is, rather than a picture that knows nobody.
    if (picture.gap && facts.roleGrants.length === 0 && facts.groups.size === 0) throw picture.gap;
    return picture;
  }
}
