/** What the cold start benchmark's processes agree on. */

import { CLIENT, TENANT } from "../../tests/cache/helpers.ts";

/** The app's client id. */
export const BENCH_CLIENT: string = CLIENT;
/** The tenant. */
export const BENCH_TENANT: string = TENANT;
/** The account whose token is asked for. */
export const BENCH_USERNAME = "user3@contoso.com";
/** The scopes asked for. */
export const BENCH_SCOPES: string[] = ["Mail.Read"];
