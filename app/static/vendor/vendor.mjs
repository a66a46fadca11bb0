// Copies the built files Tradeline serves from the installed npm packages into this folder.
// Run with `npm run vendor` after `npm ci`; see README.md.
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";

// The Polaris icons the templates use; add a name here, then run `npm run vendor`.
const ICONS = [
  "AlertCircleIcon",
  "AlertTriangleIcon",
  "CatalogIcon",
  "ChartVerticalIcon",
  "CheckCircleIcon",
  "CheckIcon",
  "ClockIcon",
  "DatabaseIcon",
  "EmailIcon",
  "ExitIcon",
  "HomeIcon",
  "InfoIcon",
  "KeyIcon",
  "MegaphoneIcon",
  "OrganizationIcon",
  "PersonIcon",
  "PersonSegmentIcon",
  "ReceiptIcon",
  "RefreshIcon",
  "SettingsIcon",
  "StoreIcon",
  "XCircleIcon",
  "XIcon",
];

function version(pkg) {
  return JSON.parse(readFileSync(`node_modules/${pkg}/package.json`, "utf8")).version;
}

mkdirSync("polaris-tokens", { recursive: true });
copyFileSync("node_modules/@shopify/polaris-tokens/dist/css/styles.css", "polaris-tokens/tokens.css");
copyFileSync("node_modules/@shopify/polaris-tokens/LICENSE.md", "polaris-tokens/LICENSE.md");
writeFileSync("polaris-tokens/VERSION", version("@shopify/polaris-tokens") + "\n");

rmSync("polaris-icons", { recursive: true, force: true });
mkdirSync("polaris-icons/svg", { recursive: true });
for (const name of ICONS) {
  copyFileSync(`node_modules/@shopify/polaris-icons/dist/svg/${name}.svg`, `polaris-icons/svg/${name}.svg`);
}
copyFileSync("node_modules/@shopify/polaris-icons/LICENSE.md", "polaris-icons/LICENSE.md");
writeFileSync("polaris-icons/VERSION", version("@shopify/polaris-icons") + "\n");
