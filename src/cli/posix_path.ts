/**
 * `path.posix.join` without `node:path`, for the token fast path (in Deno the first `node:`
 * import costs more than the whole fast path).
 *
 * @module
 */

/**
 * `path.posix.join`: the parts joined with `/`, then `.` and `..` segments and repeated
 * slashes resolved (a trailing slash kept), `.` for nothing.
 *
 * @param parts path segments
 * @returns the joined, normalized path
 * @example
 * ```ts
 * import { posixJoin } from "./posix_path.ts";
 * console.log(posixJoin("/home/me/", "./.cache", "entra-auth/../entra-auth", "x.json"));
 * // /home/me/.cache/entra-auth/x.json
 * ```
 */
export function posixJoin(...parts: string[]): string {
  const joined = parts.filter((p) => p.length > 0).join("/");
  if (joined === "") return ".";
  const absolute = joined.startsWith("/");
  const out: string[] = [];
  for (const segment of joined.split("/")) {
    if (segment === "" || segment === ".") continue;
    if (segment === "..") {
      if (out.length > 0 && out[out.length - 1] !== "..") out.pop();
      else if (!absolute) out.push("..");
    } else out.push(segment);
  }
  let path = (absolute ? "/" : "") + out.join("/");
  if (path === "") return absolute ? "/" : ".";
  if (joined.endsWith("/") && path !== "/") path += "/";
  return path;
}
