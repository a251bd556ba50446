// Test harness for the signing components, bundled with bun by tests/e2e/test_sign_components.py
// (no Reflex build). It plays the part of the Python state: the editor is controlled (its
// on_change/on_select feed back into its props, as a Reflex handler would), and every event
// is recorded in window.__events for the tests to read.
import { useState } from "react";
import { createRoot } from "react-dom/client";
import { SignaturePad } from "../../../portal_app/components/signature_pad.jsx";
import { FieldEditor } from "../../../portal_app/components/field_editor.jsx";

window.__events = [];
const record = (type, value) => window.__events.push({ type, value });

// A letter-size page drawn as SVG: a few grey "text" lines and a signature line.
function pageSvg(n) {
  const lines = Array.from({ length: 14 }, (_, i) =>
    `<rect x="72" y="${120 + i * 30}" width="${i % 4 === 3 ? 300 : 468}" height="8" fill="#d1d5db"/>`).join("");
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="612" height="792" viewBox="0 0 612 792">` +
    `<rect width="612" height="792" fill="#fff"/><rect x="72" y="64" width="240" height="18" fill="#9ca3af"/>` +
    `${lines}<line x1="72" y1="680" x2="300" y2="680" stroke="#6b7280"/>` +
    `<text x="306" y="760" font-size="12" font-family="sans-serif" fill="#6b7280">${n}</text></svg>`;
  return `data:image/svg+xml,${encodeURIComponent(svg)}`;
}

const PAGES = [1, 2].map((n) => ({ url: pageSvg(n), width: 612, height: 792 }));
const SIGNERS = [
  { id: "ivy", name: "Ivy Payer", color: "#2563eb" },
  { id: "sam", name: "Sam Staff", color: "#d97706" },
];
const FIELDS = [
  { id: "sig1", page: 0, x: 0.1, y: 0.8, w: 0.3, h: 0.06, kind: "signature", signer: "ivy", label: "", required: true },
  { id: "date1", page: 0, x: 0.6, y: 0.8, w: 0.2, h: 0.04, kind: "date", signer: "ivy", label: "Date", required: true },
  { id: "name1", page: 0, x: 0.1, y: 0.1, w: 0.35, h: 0.04, kind: "text", signer: "ivy", label: "Full name", required: false },
  { id: "agree1", page: 0, x: 0.1, y: 0.3, w: 0.04, h: 0.03, kind: "checkbox", signer: "ivy", label: "I agree", required: false },
  { id: "sig2", page: 1, x: 0.55, y: 0.82, w: 0.3, h: 0.06, kind: "signature", signer: "sam", label: "", required: true },
];
// stands in for a drawn signature until the pad above produces one
const SQUIGGLE = `data:image/svg+xml,${encodeURIComponent(
  '<svg xmlns="http://www.w3.org/2000/svg" width="300" height="80"><path d="M10 60 C 40 10, 60 10, 80 50 S 130 70, 150 30 S 220 20, 290 50" fill="none" stroke="#111827" stroke-width="4"/></svg>')}`;

function Harness() {
  const [signature, setSignature] = useState("");
  const [fields, setFields] = useState(FIELDS);
  const [selected, setSelected] = useState("");
  const [last, setLast] = useState("none yet");
  const note = (type, value) => {
    record(type, value);
    setLast(`${type}: ${typeof value === "string" ? value.slice(0, 40) || '""' : JSON.stringify(value).slice(0, 80)}`);
  };
  const values = { sig1: signature || SQUIGGLE, date1: "2024-05-01", name1: "Ivy Payer", agree1: "true" };
  return (
    <main>
      <h1>Signing components</h1>
      <div className="grid">
        <div style={{ display: "grid", gap: "20px", minWidth: 0 }}>
          <section aria-labelledby="pad-title" data-testid="pad-section">
            <h2 id="pad-title">Signature pad</h2>
            <SignaturePad onChange={(url) => { setSignature(url); note("pad-change", url); }} />
            <div className="preview" aria-label="Signature preview" role="group">
              {signature ? <img src={signature} alt="Your drawn signature" /> : <span>No signature yet</span>}
            </div>
            <p className="log" aria-live="polite">Last event: {last}</p>
          </section>
          <section aria-labelledby="ro-title" data-testid="readonly-section">
            <h2 id="ro-title">Filled document (read-only)</h2>
            <FieldEditor pages={PAGES.slice(0, 1)} fields={fields.filter((f) => f.page === 0)} signers={SIGNERS}
              readOnly values={values} />
          </section>
        </div>
        <section aria-labelledby="fe-title" data-testid="editor-section">
          <h2 id="fe-title">Field editor</h2>
          <FieldEditor
            pages={PAGES}
            fields={fields}
            signers={SIGNERS}
            selected={selected}
            onChange={(list) => { setFields(list); note("fields-change", list); }}
            onSelect={(id) => { setSelected(id); note("select", id); }}
            onPageClick={(spot) => note("page-click", spot)}
            onDelete={(id) => note("delete", id)}
          />
        </section>
      </div>
    </main>
  );
}

createRoot(document.getElementById("root")).render(<Harness />);
