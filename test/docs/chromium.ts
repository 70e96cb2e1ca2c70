// Debian's chromium driven by playwright-core: never a downloaded browser, a
// fresh profile per launch, no network. Tests fail in CI (CI=true) when the
// browser is missing and skip locally.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";
export const haveChromium = existsSync(CHROMIUM);
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
    throw new Error(`${CHROMIUM} is missing: CI needs Debian's chromium (apt-get install -y chromium) for the docs rendering tests`);
  }
}

export interface Browser {
  readonly context: BrowserContext;
  close(): Promise<void>;
}

/**
 * Launch chromium with a fresh user-data-dir; every request that leaves the
 * machine is refused and recorded in `requests`. file:// reads (the docs
 * site's own pages and search.js) are allowed and recorded in `files`.
 */
export async function launch(opts: { deviceScaleFactor?: number } = {}): Promise<Browser & { readonly requests: string[]; readonly files: string[] }> {
  const profile = mkdtempSync(join(tmpdir(), "cfgvirt-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1200, height: 900 },
    deviceScaleFactor: opts.deviceScaleFactor ?? 1,
  });
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
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
