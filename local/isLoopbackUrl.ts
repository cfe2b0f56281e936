/**
 * The names this machine's loopback answers to, as a URL's `hostname` spells them (lower case, IPv6 in
 * brackets): where the local host, Azurite and the emulated tenant listen. Nothing else counts as local.
 */
export const loopbackHostnames: readonly string[] = ["localhost", "127.0.0.1", "[::1]"];

/**
 * Whether `text` is an http(s) URL on this machine's loopback, with no credentials in it. `127.0.0.1.attacker.example`
 * and `localhost.attacker.example` are other machines; anything unparsable is not local either (fail closed).
 */
export function isLoopbackUrl(text: string | undefined): boolean {
  if (!text) return false;
  try {
    const url = new URL(text);
    return (
      (url.protocol === "http:" || url.protocol === "https:") &&
      loopbackHostnames.includes(url.hostname) &&
      !url.username &&
      !url.password
    );
  } catch {
    return false;
  }
}
