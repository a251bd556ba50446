// The client's Appointments pages' two browser bits (no eval: our CSP forbids it).
// ZoneProbe: reports the browser's IANA time zone once, when it mounts
// (Intl.DateTimeFormat().resolvedOptions().timeZone), by calling onZone(zone); draws nothing.
// CopyText: a button that copies `text` to the clipboard and says so in a polite live region.
import { useEffect, useRef, useState } from "react";

export function ZoneProbe({ onZone }) {
  const sent = useRef(false);
  useEffect(() => {
    if (sent.current || !onZone) return;
    sent.current = true;
    let zone = "";
    try {
      zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
    } catch (e) {
      zone = "";
    }
    if (zone) onZone(zone);
  }, [onZone]);
  return null;
}

export function CopyText({ text, label, what, className, style }) {
  const [said, setSaid] = useState("");
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text || "");
      setSaid("Copied.");
    } catch (e) {
      setSaid("Copying is not allowed here: select the address and copy it.");
    }
  };
  return (
    <span style={{ display: "inline-flex", alignItems: "center", gap: "8px", flexWrap: "wrap" }}>
      <button type="button" onClick={copy} className={className} style={style}
              aria-label={what ? `${label || "Copy"} ${what}` : undefined}>{label || "Copy"}</button>
      <span role="status" aria-live="polite" style={{ fontSize: "13px" }}>{said}</span>
    </span>
  );
}
