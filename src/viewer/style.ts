// The page's CSS, injected by the viewer so the HTML writer stays a thin shell.
export const CSS = `
body{margin:0;font:13px system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;color:#222;background:#fff}
header{padding:8px 12px 0}
h1{font-size:17px;margin:0;font-weight:600}
.subtitle{color:#666;font-size:12px;margin-top:2px}
.bar{display:flex;flex-wrap:wrap;gap:8px;align-items:center;padding:6px 12px;border-bottom:1px solid #ddd}
.bar button{font:inherit;padding:3px 10px;border:1px solid #bbb;background:#f6f6f6;border-radius:3px;cursor:pointer}
.bar button.on{background:#333;color:#fff;border-color:#333}
.bar input[type=search]{font:inherit;padding:3px 6px;width:260px}
.bar .matched{color:#a0a;min-width:120px}
.bar .bad{color:#c00}
.bar .status{color:#888;font-size:12px}
.bar button:disabled,.bar select:disabled{opacity:.5;cursor:default}
.crumbs{padding:4px 12px;font-size:12px;min-height:16px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.crumbs a{color:#06c;cursor:pointer;text-decoration:none}
.crumbs a:hover{text-decoration:underline}
.timeline{position:relative;margin:4px 12px 0;border:1px solid #ddd;height:64px}
.timeline canvas{display:block;width:100%;height:64px;cursor:crosshair}
.timeline-info{padding:0 12px;font-size:12px;color:#555;min-height:16px}
.view{padding:4px 12px 12px}
canvas.flame{display:block;cursor:pointer}
.sandwich h2{font-size:13px;margin:8px 0 4px;font-weight:600}
table.functions{border-collapse:collapse;width:100%;font-size:12px}
table.functions th{text-align:right;border-bottom:2px solid #ccc;padding:3px 8px;cursor:pointer;user-select:none;position:sticky;top:0;background:#fff}
table.functions th:first-child,table.functions td:first-child{text-align:left}
table.functions td{text-align:right;padding:2px 8px;border-bottom:1px solid #eee;font-variant-numeric:tabular-nums}
table.functions td:first-child{font-family:ui-monospace,Menlo,Consolas,monospace;word-break:break-all}
table.functions tbody tr{cursor:pointer}
table.functions tbody tr:hover{background:#f3f3ff}
table.functions tr.match td:first-child{color:#a0a}
.more{color:#666;padding:4px 8px;font-size:12px}
.tip{position:fixed;pointer-events:none;background:#fffff0;border:1px solid #999;padding:4px 8px;font-size:12px;max-width:600px;box-shadow:0 2px 6px rgba(0,0,0,.2);display:none;z-index:10;word-break:break-all}
.tip b{font-weight:600}
.hidden{display:none}
`;
