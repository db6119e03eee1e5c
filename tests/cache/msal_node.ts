/**
 * msal-node (a dev dependency, Node only) configured to work offline: authority and cloud
 * metadata passed in its configuration, and a network client that answers the token
 * endpoint from a queue and fails loudly on anything else.
 */

import type { Configuration, PublicClientApplication } from "@azure/msal-node";
import { CLIENT, TENANT } from "./helpers.ts";

/** The public cloud's instance discovery answer. */
export const cloudDiscoveryMetadata: string = JSON.stringify({
  tenant_discovery_endpoint:
    `https://login.microsoftonline.com/${TENANT}/v2.0/.well-known/openid-configuration`,
  "api-version": "1.1",
  metadata: [{
    preferred_network: "login.microsoftonline.com",
    preferred_cache: "login.windows.net",
    aliases: [
      "login.microsoftonline.com",
      "login.windows.net",
      "login.microsoft.com",
      "sts.windows.net",
    ],
  }],
});

/** The tenant's OpenID configuration. */
export const authorityMetadata: string = JSON.stringify({
  token_endpoint: `https://login.microsoftonline.com/${TENANT}/oauth2/v2.0/token`,
  authorization_endpoint: `https://login.microsoftonline.com/${TENANT}/oauth2/v2.0/authorize`,
  end_session_endpoint: `https://login.microsoftonline.com/${TENANT}/oauth2/v2.0/logout`,
  issuer: `https://login.microsoftonline.com/${TENANT}/v2.0`,
  jwks_uri: `https://login.microsoftonline.com/${TENANT}/discovery/v2.0/keys`,
});

/** A network client that serves queued token responses and refuses everything else. */
export class OfflineNetwork {
  readonly calls: string[] = [];
  readonly tokenResponses: unknown[] = [];

  sendGetRequestAsync<T>(url: string): Promise<T> {
    this.calls.push(`GET ${url}`);
    return Promise.reject(new Error(`msal-node tried the network: GET ${url}`));
  }

  sendPostRequestAsync<T>(
    url: string,
  ): Promise<{ headers: Record<string, string>; body: T; status: number; }> {
    this.calls.push(`POST ${url}`);
    const body = this.tokenResponses.shift();
    if (!url.includes("/oauth2/v2.0/token") || body === undefined) {
      return Promise.reject(new Error(`msal-node tried the network: POST ${url}`));
    }
    return Promise.resolve({ headers: {}, body: body as T, status: 200 });
  }
}

/**
 * A msal-node app for the test client in the test tenant, offline.
 *
 * @param network the network client
 * @param cache optional cache plug-in settings
 * @returns the app
 */
export async function msalNodeApp(
  network: OfflineNetwork,
  cache?: Configuration["cache"],
): Promise<PublicClientApplication> {
  const msal = await import("@azure/msal-node");
  return new msal.PublicClientApplication({
    auth: {
      clientId: CLIENT,
      authority: `https://login.microsoftonline.com/${TENANT}`,
      cloudDiscoveryMetadata,
      authorityMetadata,
    },
    system: { networkClient: network },
    cache,
  });
}
