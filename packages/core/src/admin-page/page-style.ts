/** The token page's style sheet: system fonts, readable contrast, and a focus ring that shows. */
export const PAGE_STYLE = `:root {
  color-scheme: light;
  --ink: #1b1f24; --muted: #57606a; --line: #d0d7de; --paper: #ffffff; --wash: #f6f8fa;
  --accent: #0a58ca; --danger: #b42318; --ok: #116329; --warn: #7a4b00; --focus: #ffbf47;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif;
  line-height: 1.5; color: var(--ink); background: var(--wash);
}
* { box-sizing: border-box; }
body { margin: 0; }
.skip { position: absolute; left: -999px; top: 0; padding: .5rem 1rem; background: var(--paper); }
.skip:focus { left: 1rem; }
.top { background: var(--paper); border-bottom: 1px solid var(--line); padding: 1rem 1.5rem; display: flex; flex-wrap: wrap; align-items: baseline; gap: 0 1.5rem; }
h1 { font-size: 1.5rem; margin: 0; }
h2 { font-size: 1.2rem; margin: 0 0 .75rem; }
.who { margin: 0; color: var(--muted); }
main { max-width: 72rem; margin: 0 auto; padding: 1rem 1.5rem 3rem; }
.panel { background: var(--paper); border: 1px solid var(--line); border-radius: 8px; padding: 1.25rem 1.5rem; margin: 1rem 0; }
.notice { border-color: var(--warn); }
.reveal { border: 2px solid var(--ok); background: #f0fff4; }
.status:not(:empty) { margin: 1rem 0; padding: .5rem 1rem; border-left: 4px solid var(--ok); background: var(--paper); }
.alert { margin: 1rem 0; padding: .75rem 1rem; border-left: 4px solid var(--danger); background: #fff5f5; }
.field { margin: 0 0 1rem; border: 0; padding: 0; }
fieldset.field { margin-bottom: 1rem; }
legend, label { font-weight: 600; display: block; margin-bottom: .25rem; }
.choice { display: flex; align-items: center; gap: .5rem; margin: .25rem 0; }
.choice label { margin: 0; font-weight: 400; }
.sub { margin: .5rem 0 0 1.75rem; }
.optional { font-weight: 400; color: var(--muted); }
.hint { color: var(--muted); font-size: .9rem; margin: .25rem 0; }
.field-error { color: var(--danger); font-weight: 600; margin: .25rem 0; }
.field-error::before { content: "⚠ "; }
input[type=text], input[type=date], select { font: inherit; padding: .4rem .6rem; border: 1px solid #8c959f; border-radius: 6px; min-width: 16rem; max-width: 100%; background: var(--paper); color: var(--ink); }
input[aria-invalid=true], select[aria-invalid=true] { border: 2px solid var(--danger); }
button { font: inherit; padding: .4rem .9rem; border-radius: 6px; border: 1px solid #8c959f; background: var(--paper); color: var(--ink); cursor: pointer; }
button:hover { background: var(--wash); }
button.primary { background: var(--accent); border-color: var(--accent); color: #fff; }
button.danger { background: var(--danger); border-color: var(--danger); color: #fff; }
button:disabled { opacity: .5; cursor: not-allowed; }
:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; box-shadow: 0 0 0 5px var(--ink); }
.token-line { display: flex; flex-wrap: wrap; align-items: center; gap: .5rem; }
.token-line label { margin: 0; }
#reveal-token { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; min-width: 22rem; }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .5rem .6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-size: .85rem; color: var(--muted); text-transform: uppercase; letter-spacing: .03em; }
td .row-actions { display: flex; gap: .4rem; }
.name-cell { min-width: 10rem; overflow-wrap: anywhere; }
td time { white-space: nowrap; }
tr.is-expired td { color: var(--muted); }
.badge { display: inline-block; font-size: .8rem; font-weight: 600; padding: .05rem .5rem; border-radius: 999px; border: 1px solid; white-space: nowrap; }
.badge-personal { color: #0b4f8a; background: #e7f1ff; border-color: #8cb8e8; }
.badge-team { color: #6a1b9a; background: #f6ecff; border-color: #c9a2e6; }
.badge-active { color: var(--ok); background: #eafbee; border-color: #8fd19e; }
.badge-expired { color: var(--danger); background: #fff0ee; border-color: #f2a59d; }
.badge-retiring { color: var(--warn); background: #fff8e6; border-color: #e6c47a; }
.scopes { display: block; font-size: .85rem; color: var(--muted); }
.loading::before { content: "⏳ "; }
.empty { padding: 1rem; background: var(--wash); border-radius: 6px; }
.team-lookup { display: flex; flex-wrap: wrap; gap: .5rem; align-items: center; margin-bottom: 1rem; }
.team-lookup label { margin: 0; }
dialog { border: 1px solid var(--line); border-radius: 10px; padding: 1.5rem; max-width: 34rem; width: calc(100% - 2rem); }
dialog::backdrop { background: rgba(27, 31, 36, .5); }
.actions { display: flex; justify-content: flex-end; gap: .5rem; margin-top: 1rem; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: var(--wash); padding: 0 .25rem; border-radius: 4px; }
[hidden] { display: none !important; }
@media (prefers-reduced-motion: no-preference) { button { transition: background .1s; } }
`;
