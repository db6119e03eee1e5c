/**
 * The plain pages the loopback server shows in the browser after a sign-in.
 *
 * @module
 */

/**
 * Escapes text for HTML.
 *
 * @param text any text
 * @returns the escaped text
 * @example
 * ```ts
 * import { escapeHtml } from "./pages.ts";
 * escapeHtml("<b>"); // "&lt;b&gt;"
 * ```
 */
export function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;" })[c] as string,
  );
}

/**
 * A minimal HTML page.
 *
 * @param title the title and heading
 * @param message the text below it (escaped)
 * @returns the page
 * @example
 * ```ts
 * import { page } from "./pages.ts";
 * page("Signed in", "You can close this window.");
 * ```
 */
export function page(title: string, message: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${
    escapeHtml(title)
  }</title></head><body><h1>${escapeHtml(title)}</h1><p id="message">${
    escapeHtml(message)
  }</p></body></html>`;
}

/** The page shown after a successful sign-in. */
export const SUCCESS_PAGE: string = page(
  "Sign-in complete",
  "Authentication complete. You can close this window and return to the application.",
);

/**
 * The page shown after a failed sign-in.
 *
 * @param error the OAuth error
 * @param description its description, if any
 * @returns the page
 * @example
 * ```ts
 * import { failurePage } from "./pages.ts";
 * failurePage("access_denied", "The user declined.");
 * ```
 */
export function failurePage(error: string, description?: string): string {
  return page(
    "Sign-in failed",
    `${error}${description ? `: ${description}` : ""}. Return to the application for details.`,
  );
}
