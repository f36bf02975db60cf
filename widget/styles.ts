// Inside a shadow root: the host page's CSS cannot reach in, ours cannot leak out. What inherits
// through the boundary (font, color, line-height, letter-spacing…) is reset on our top element,
// not on `:host`: a hostile page's `* { all: unset !important; font-size: 5px !important }` wins
// over `:host` rules (it styles the host element itself), but it cannot reach our element.
export const css = `
:host{all:initial;--a:var(--alloy-accent,#4f46e5);--r:var(--alloy-radius,10px);--f:var(--alloy-font,system-ui,-apple-system,"Segoe UI",sans-serif)}
:host>div{all:initial;display:block;font:15px/1.5 var(--f);color:#1f2937}
*{box-sizing:border-box;font:inherit}
.bd[hidden]{display:none}.bd{position:fixed;inset:0;z-index:2147483647;background:rgba(17,24,39,.55);display:flex;align-items:center;justify-content:center;padding:12px}
.dlg{background:#fff;border-radius:var(--r);width:100%;max-width:440px;max-height:calc(100vh - 24px);overflow:auto;padding:20px;box-shadow:0 20px 50px rgba(0,0,0,.3)}
.hd{display:flex;align-items:center;gap:10px;margin-bottom:12px}.hd img{width:36px;height:36px;border-radius:8px}
h2{font-size:18px;font-weight:650;margin:0;flex:1}h3{font-size:15px;font-weight:650;margin:14px 0 6px}
.x{background:none;border:0;font-size:22px;line-height:1;cursor:pointer;padding:4px 8px;border-radius:6px;color:#4b5563}
label{display:block;font-weight:600;margin:12px 0 4px}.hint{font-weight:400;color:#6b7280;font-size:13px}
input,select{width:100%;padding:9px 10px;border:1px solid #d1d5db;border-radius:calc(var(--r) - 4px);background:#fff;color:inherit}
input[type=checkbox]{width:18px;height:18px;vertical-align:middle;margin:0 8px 0 0}
.chk{display:flex;align-items:center;font-weight:600;margin:12px 0}
.btn{display:block;width:100%;margin-top:16px;padding:10px;border:0;border-radius:calc(var(--r) - 4px);background:var(--a);color:#fff;font-weight:650;cursor:pointer}
.btn[aria-disabled=true]{opacity:.6;cursor:default}.btn.sec{background:#eef2ff;color:var(--a)}
.err{color:#b91c1c;font-size:13px;margin:4px 0 0}.alert{background:#fef2f2;color:#991b1b;border-radius:8px;padding:8px 10px;margin-top:12px}
:focus-visible{outline:3px solid var(--a);outline-offset:2px}
.grid{display:grid;gap:12px;grid-template-columns:repeat(auto-fill,minmax(240px,1fr));list-style:none;padding:0;margin:0}
.card{border:1px solid #e5e7eb;border-radius:var(--r);padding:14px;background:#fff;display:flex;flex-direction:column;gap:8px}
.card .hd,.card h3,.card p,.row .chk{margin:0}.hd>div{flex:1;display:flex;flex-direction:column;align-items:flex-start;gap:4px}.badge{font-size:12px;border-radius:99px;padding:2px 8px;white-space:nowrap;background:#f3f4f6;color:#374151;font-weight:600}
.badge.on{background:#dcfce7;color:#166534}.badge.up{background:#fef3c7;color:#92400e}
.row{display:flex;gap:8px;flex-wrap:wrap;align-items:center}.row .btn{width:auto;margin:0;padding:6px 12px;font-size:13px}
.search{margin-bottom:12px}
`;
