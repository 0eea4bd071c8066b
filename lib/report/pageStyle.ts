/** The report's one inline stylesheet: system fonts only, nothing fetched. */
export const PAGE_STYLE = `
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; background: #f3f4f6; color: #1f2937;
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; }
main { max-width: 1040px; margin: 0 auto; padding: 28px 24px 48px; }
header { margin-bottom: 20px; }
h1 { font-size: 26px; margin: 0 0 2px; overflow-wrap: anywhere; }
h2 { font-size: 18px; margin: 0 0 12px; }
.date { color: #6b7280; margin: 0 0 12px; font-size: 13px; }
.summary { display: flex; flex-wrap: wrap; gap: 8px; margin: 0; padding: 0; list-style: none; }
.summary li { background: #fff; border: 1px solid #e5e7eb; border-radius: 999px; padding: 3px 12px; font-size: 14px; }
.summary b { font-variant-numeric: tabular-nums; }
section { background: #fff; border: 1px solid #e5e7eb; border-radius: 10px; padding: 18px 20px; margin: 0 0 18px; }
figure { margin: 0 0 14px; }
figure:last-child { margin-bottom: 0; }
svg.chart { display: block; max-width: 100%; height: auto; }
svg.chart .series:hover .line { stroke-width: 4; }
.empty { color: #6b7280; font-style: italic; margin: 0; }
table { border-collapse: collapse; width: 100%; max-width: 620px; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid #f0f1f3; }
td.num { text-align: right; }
td.exact { color: #9ca3af; font-size: 12px; text-align: right; }
th { font-weight: 500; color: #374151; }
details summary { cursor: pointer; color: #374151; }
pre { background: #f9fafb; border: 1px solid #e5e7eb; border-radius: 6px; padding: 12px; overflow: auto;
  font: 12.5px/1.45 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; max-height: 480px; }
.notes li { color: #92400e; }
footer { color: #9ca3af; font-size: 12px; text-align: center; }
`;
