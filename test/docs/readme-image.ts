// Regenerate the README's picture of a generated register diagram:
// docs/images/msi-control.png, MSI Message Control as the docs site's MSI page
// draws it, rendered by Debian's chromium. Run with `npm run docs:image`.
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { buildDocs } from "../../src/docs/generate.js";
import { renderSite } from "../../src/docs/site.js";
import { packageRoot } from "../../src/paths.js";
import { type Browser, haveChromium, CHROMIUM, INSTALL_CHROMIUM, launch } from "./chromium.js";
import { writeSiteToTemp } from "./helpers.js";

export const README_IMAGE = join(packageRoot, "docs", "images", "msi-control.png");
export const README_PAGE = "lib-msi.html";
export const README_DIAGRAM = "#diagram-lib-msi-control";

/** Render the image; in a context of its own in `browser` when given (a test's), else in a browser of its own. */
export async function renderReadmeImage(path = README_IMAGE, browser?: Browser): Promise<void> {
  if (!haveChromium) throw new Error(`${CHROMIUM} is missing: ${INSTALL_CHROMIUM}`);
  const site = writeSiteToTemp(renderSite(buildDocs()), "readme");
  const at = browser ? await browser.newContext({ deviceScaleFactor: 2 }) : await launch({ deviceScaleFactor: 2 });
  try {
    const page = await at.context.newPage();
    await page.goto(site + README_PAGE);
    await page.addStyleTag({ content: `${README_DIAGRAM} { background: #fff; padding: 6px; box-sizing: content-box; }` });
    mkdirSync(dirname(path), { recursive: true });
    await page.locator(README_DIAGRAM).screenshot({ path, animations: "disabled" });
  } finally {
    await at.close();
  }
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split("/").pop()!)) {
  await renderReadmeImage();
  console.log(`wrote ${README_IMAGE.slice(packageRoot.length + 1)}`);
}
