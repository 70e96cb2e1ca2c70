// Debian's chromium driven by playwright-core: never a downloaded browser, a
// fresh profile per context, no network. Tests fail in CI (CI=true) when the
// browser is missing and skip locally.
//
// Debian's old headless shell (package chromium-headless-shell, built from the
// same chromium source) where installed: it renders the same pages with a third
// less CPU than the full browser in headless mode (fewer processes, no browser UI
// layers). The full browser serves where only it is installed.
import { existsSync } from "node:fs";
import { type BrowserContext, chromium, type Browser as Chromium } from "playwright-core";

const HEADLESS_SHELL = "/usr/bin/chromium-headless-shell";
export const CHROMIUM = [HEADLESS_SHELL, "/usr/bin/chromium"].find((p) => existsSync(p)) ?? HEADLESS_SHELL;
export const haveChromium = existsSync(CHROMIUM);
/** What to install when no browser is found. */
export const INSTALL_CHROMIUM = "apt-get install -y chromium-headless-shell";
export const inCI = !!process.env.CI && process.env.CI !== "false";

export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export function requireChromium(): void {
  if (!haveChromium && inCI) {
    throw new Error(`${CHROMIUM} is missing: CI needs Debian's chromium (${INSTALL_CHROMIUM}) for the docs rendering tests`);
  }
}

/**
 * A browser context (its own fresh profile: an incognito one) where every
 * request that leaves the machine is refused and recorded in `requests`.
 * file:// reads (the docs site's own pages and search.js) are allowed and
 * recorded in `files`.
 */
export interface GuardedContext {
  readonly context: BrowserContext;
  readonly requests: string[];
  readonly files: string[];
  close(): Promise<void>;
}

export interface ContextOptions {
  deviceScaleFactor?: number;
}

export interface Browser extends GuardedContext {
  /** Another context in the same browser process: one launch serves every test of a file. */
  newContext(opts?: ContextOptions): Promise<GuardedContext>;
}

/** Launch chromium with one guarded context; `close` ends the browser. */
export async function launch(opts: ContextOptions = {}): Promise<Browser> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  const first = await guardedContext(browser, opts);
  return {
    ...first,
    newContext: (o) => guardedContext(browser, o),
    async close() {
      await browser.close();
    },
  };
}

async function guardedContext(browser: Chromium, opts: ContextOptions = {}): Promise<GuardedContext> {
  const context = await browser.newContext({ viewport: { width: 1200, height: 900 }, deviceScaleFactor: opts.deviceScaleFactor ?? 1 });
  const requests: string[] = [];
  const files: string[] = [];
  await context.route("**/*", (route) => {
    const url = route.request().url();
    if (url.startsWith("data:") || url.startsWith("about:")) return route.continue();
    if (url.startsWith("file:")) {
      files.push(url);
      return route.continue();
    }
    requests.push(url);
    return route.abort();
  });
  return {
    context,
    requests,
    files,
    async close() {
      await context.close();
    },
  };
}
