// Inside a shadow root: the host page's CSS cannot reach in, ours cannot leak out. What inherits
// through the boundary (font, color, line-height, letter-spacing…) is reset on our top element,
// not on `:host`: a hostile page's `* { all: unset !important; font-size: 5px !important }` wins
// over `:host` rules (it styles the host element itself), but it cannot reach our element.
//
// The theme tokens (docs/theming.md) are set on that top element: `--alloy-<token>` (the page's
// custom property, or `theme`'s, which mount.ts sets on this same element) else the default of
// its colour scheme (the element's class: light, dark, or auto: the page's prefers-color-scheme).
// test/widget/theme.test.ts reads the default palettes from this text and checks WCAG AA contrast.
// The main buttons' text is the surface colour: the accent is already text on the surface (the
// secondary buttons), so the two contrast both ways. Internal names: --a accent, --s surface,
// --t text, --m muted, --b border, --d danger, --g success, --o focus ring, --r radius, --f font,
// --p spacing (a unit: the dialog's padding is 5 of them).
const dark =
  'color-scheme:dark;--a:var(--alloy-accent,#a5b4fc);--s:var(--alloy-surface,#111827);--t:var(--alloy-text,#f3f4f6);--m:var(--alloy-muted,#9ca3af);--b:var(--alloy-border,#6b7280);--d:var(--alloy-danger,#fca5a5);--g:var(--alloy-success,#86efac)';

export const css = `
:host{all:initial}
:host>div{all:initial;display:block;--a:var(--alloy-accent,#4f46e5);--s:var(--alloy-surface,#fff);--t:var(--alloy-text,#1f2937);--m:var(--alloy-muted,#6b7280);--b:var(--alloy-border,#878d98);--d:var(--alloy-danger,#b91c1c);--g:var(--alloy-success,#15803d);--o:var(--alloy-focus,var(--a));--r:var(--alloy-radius,10px);--p:var(--alloy-spacing,4px);--f:var(--alloy-font,system-ui,-apple-system,"Segoe UI",sans-serif);font:15px/1.5 var(--f);color:var(--t);background:var(--s)}
div.dark{${dark}}@media(prefers-color-scheme:dark){div.auto{${dark}}}
*{box-sizing:border-box;font:inherit}
.bd[hidden]{display:none}.bd{position:fixed;inset:0;z-index:2147483647;background:rgba(17,24,39,.55);display:flex;align-items:center;justify-content:center;padding:12px}
.dlg{background:var(--s);border-radius:var(--r);width:100%;max-width:440px;max-height:calc(100vh - 24px);overflow:auto;padding:calc(var(--p)*5);box-shadow:0 20px 50px rgba(0,0,0,.3)}
.hd{display:flex;align-items:center;gap:10px;margin-bottom:12px}.hd img{width:36px;height:36px;border-radius:8px}
h2{font-size:18px;font-weight:650;margin:0;flex:1}h3{font-size:15px;font-weight:650;margin:14px 0 6px}
.x{background:none;border:0;font-size:22px;line-height:1;cursor:pointer;padding:4px 8px;border-radius:6px;color:var(--m)}
fieldset{border:0;padding:0;margin:0}legend{font-weight:600;margin-top:calc(var(--p)*3)}.map .row{flex-wrap:nowrap}.map label{margin:0;flex:1}.map select{flex:1}label{display:block;font-weight:600;margin:calc(var(--p)*3) 0 var(--p)}.hint{font-weight:400;color:var(--m);font-size:13px}
input,select,textarea{width:100%;padding:9px 10px;border:1px solid var(--b);border-radius:calc(var(--r) - 4px);background:var(--s);color:inherit}::placeholder{color:var(--m)}
input[type=checkbox]{width:18px;height:18px;vertical-align:middle;margin:0 8px 0 0;accent-color:var(--a)}
.chk{display:flex;align-items:center;font-weight:600;margin:12px 0}
.btn{display:block;width:100%;margin-top:16px;padding:10px;border:1px solid var(--a);border-radius:calc(var(--r) - 4px);background:var(--a);color:var(--s);font-weight:650;cursor:pointer}
.btn[aria-disabled=true]{opacity:.6;cursor:default}.btn.sec{background:none;color:var(--a)}
.err{color:var(--d);font-size:13px;margin:4px 0 0}.alert{border:1px solid;color:var(--d);border-radius:8px;padding:8px 10px;margin-top:12px}
:focus-visible{outline:3px solid var(--o);outline-offset:2px}
.grid{display:grid;gap:calc(var(--p)*3);grid-template-columns:repeat(auto-fill,minmax(240px,1fr));list-style:none;padding:0;margin:0}
.card{border:1px solid var(--b);border-radius:var(--r);padding:calc(var(--p)*3.5);background:var(--s);display:flex;flex-direction:column;gap:8px}
.card .hd,.card h3,.card p,.row .chk{margin:0}.hd>div{flex:1;display:flex;flex-direction:column;align-items:flex-start;gap:4px}.badge{font-size:12px;border-radius:99px;padding:1px 8px;white-space:nowrap;border:1px solid;color:var(--m);font-weight:600}
.badge.on{color:var(--g)}.badge.up{color:var(--a)}
.row{display:flex;gap:8px;flex-wrap:wrap;align-items:center}.row .btn{width:auto;margin:0;padding:6px 12px;font-size:13px}
.search{margin-bottom:12px}
`;
