/**
 * Scope sets as the cache compares them (from the mutants that survived the cache tests):
 * splitting and de-duplicating, and the scopes a lookup searches for when OpenID Connect
 * scopes are asked for.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { OIDC_SCOPES, searchScopes, splitScopes } from "../../src/cache/scopes.ts";

describe("splitScopes", () => {
  it("splits a string on whitespace, drops empty parts and duplicates, keeps order and case", () => {
    assert.deepEqual(splitScopes(" User.Read  Mail.Read\tuser.read "), ["User.Read", "Mail.Read"]);
    assert.deepEqual(splitScopes(""), []);
  });

  it("splits every string of a list the same way", () => {
    assert.deepEqual(splitScopes(["User.Read Mail.Read", "mail.read", "", "Files.Read"]), [
      "User.Read",
      "Mail.Read",
      "Files.Read",
    ]);
  });
});

describe("searchScopes", () => {
  it("the OIDC scopes are the four MSAL adds", () => {
    assert.deepEqual([...OIDC_SCOPES].sort(), ["email", "offline_access", "openid", "profile"]);
  });

  it("searches the resource scopes only, lowercased, once each", () => {
    assert.deepEqual(
      searchScopes(["openid", "profile", "email", "offline_access", "User.Read", "user.read"]),
      ["user.read"],
    );
    assert.deepEqual(searchScopes(["User.Read Mail.Read", "", "FILES.read"]), [
      "user.read",
      "mail.read",
      "files.read",
    ]);
    assert.deepEqual(searchScopes(["", "User.Read"]), ["user.read"]);
  });

  it("only OIDC scopes: those, without offline_access; none left: openid and profile", () => {
    assert.deepEqual(searchScopes(["openid", "OpenID", "offline_access", "email"]), [
      "openid",
      "email",
    ]);
    assert.deepEqual(searchScopes(["offline_access"]), ["openid", "profile"]);
    assert.deepEqual(searchScopes(["openid profile"]), ["openid", "profile"]);
    assert.deepEqual(searchScopes([]), ["openid", "profile"]);
  });
});
