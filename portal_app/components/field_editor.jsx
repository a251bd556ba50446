// The field editor: a document's page images stacked vertically, with its signing fields
// as boxes over them. Staff drag a box to move it, drag its bottom-right handle to resize
// it, click an empty spot of a page to ask for a new field there; with the keyboard each
// box is a button (arrows move it, Alt+arrows resize it, Delete asks to remove it).
// Positions are fractions (0..1) of the page, top-left origin, so they do not depend on
// the size the page is shown at. A box stays on its page (clamped inside it): moving a
// field to another page is a change of its `page`, made on the Python side.
// With readOnly the boxes are inert (no handles, pointer-events none) and `values`
// ({fieldId: string}) are drawn inside them: the same component shows a filled document.
// During a drag only local state changes; onChange fires once, when the gesture ends.
import { useEffect, useId, useRef, useState } from "react";

const MIN = 0.02; // smallest box: 2% of the page's width / height
const DRAG_SLOP = 3; // CSS px a pointer may wander before a press counts as a drag
const KINDS = { signature: "Signature", initials: "Initials", date: "Date", text: "Text", checkbox: "Checkbox" };
const NOBODY = { name: "Unassigned", color: "#6b7280" };
const CHECKED = new Set(["true", "1", "yes", "on", "checked", "✓"]);

const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v));
const round4 = (v) => Math.round(v * 1e4) / 1e4;
const pct = (v) => `${v * 100}%`;

// Keep a box inside its page and at least MIN in size.
function fit({ x, y, w, h }) {
  const nw = clamp(w, MIN, 1);
  const nh = clamp(h, MIN, 1);
  return { x: clamp(x, 0, 1 - nw), y: clamp(y, 0, 1 - nh), w: nw, h: nh };
}

function rounded(field) {
  return { ...field, x: round4(field.x), y: round4(field.y), w: round4(field.w), h: round4(field.h) };
}

// The accessible name starts with the box's visible text ("Signature · Ivy Payer"), so
// that speech users can say what they see (WCAG 2.5.3), then says where the box is.
function describe(field, signer, pageCount) {
  return `${KINDS[field.kind] || "Field"} · ${signer.name}, page ${field.page + 1} of ${pageCount}, ` +
    `at ${Math.round(field.x * 100)}% from left, ${Math.round(field.y * 100)}% from top` +
    `${field.required ? ", required" : ""}`;
}

// Focus rings and the screen-reader-only text need stylesheet rules; the CSP allows inline <style>.
const CSS = `
.portal-fe-box{outline:none}
.portal-fe-box:focus-visible{box-shadow:0 0 0 2px #fff,0 0 0 5px #2563eb}
.portal-fe-sr{position:absolute;width:1px;height:1px;padding:0;margin:-1px;overflow:hidden;clip:rect(0,0,0,0);white-space:nowrap;border:0}
`;

function FieldValue({ field, value, signer }) {
  if (field.kind === "checkbox") {
    const on = CHECKED.has(String(value).toLowerCase());
    return <span role="img" aria-label={on ? "Checked" : "Not checked"} style={{ fontSize: "1.2em", fontWeight: 700 }}>{on ? "✓" : ""}</span>;
  }
  if (value.startsWith("data:image/")) {
    const what = field.kind === "initials" ? "Initials" : "Signature";
    return (
      <img src={value} alt={`${what} of ${signer.name}`} draggable={false}
        style={{ width: "100%", height: "100%", objectFit: "contain", display: "block" }} />
    );
  }
  const typed = field.kind === "signature" || field.kind === "initials";
  return (
    <span style={{
      fontFamily: typed ? "'Kristi', 'Brush Script MT', 'Segoe Script', cursive" : "inherit",
      fontSize: typed ? "1.4em" : "1em",
      whiteSpace: "nowrap", // a filled-in value is never cut short: it may run past its box
    }}>{value}</span>
  );
}

export function FieldEditor({
  pages = [],
  fields = [],
  signers = [],
  selected = "",
  readOnly = false,
  values = null,
  onChange,
  onSelect,
  onPageClick,
  onDelete,
  style,
  ...rest
}) {
  const [local, setLocal] = useState(fields || []);
  const localRef = useRef(local); // the latest list, for handlers that outlive a render
  localRef.current = local;
  const dragRef = useRef(null);
  const [dragging, setDragging] = useState("");
  const [announce, setAnnounce] = useState(""); // said by screen readers after a keyboard move
  const hintId = useId();

  // The app owns the list: take every new one, except in the middle of a drag (the drag's
  // end sends its own version, which comes back as the next prop).
  useEffect(() => {
    if (!dragRef.current) setLocal(fields || []);
  }, [fields]);

  // A drag interrupted by unmount must not leave a stale gesture behind.
  useEffect(() => () => { dragRef.current = null; }, []);

  const signerOf = (id) => signers.find((s) => s.id === id) || NOBODY;
  const pageCount = pages.length;

  const update = (id, box) => {
    const next = localRef.current.map((f) => (f.id === id ? { ...f, ...box } : f));
    localRef.current = next;
    setLocal(next);
    return next;
  };
  const commit = (list) => {
    const out = list.map(rounded);
    localRef.current = out;
    setLocal(out);
    if (onChange) onChange(out);
  };
  const select = (id, always) => {
    if (onSelect && (always || id !== selected)) onSelect(id);
  };

  const startDrag = (event, field, mode) => {
    if (readOnly) return;
    if (event.pointerType === "mouse" && event.button !== 0) return;
    event.preventDefault(); // no text selection or native image drag
    event.stopPropagation();
    const pageEl = event.currentTarget.closest("[data-page]");
    if (!pageEl) return;
    const target = event.currentTarget.closest("[data-field-id]");
    try {
      target.setPointerCapture(event.pointerId); // keep the gesture when the pointer outruns the box
    } catch (e) {
      // synthetic pointers cannot be captured; moves still reach the box while over it
    }
    target.focus({ preventScroll: true });
    dragRef.current = {
      id: field.id, mode, pointer: event.pointerId, rect: pageEl.getBoundingClientRect(),
      x0: event.clientX, y0: event.clientY, orig: { x: field.x, y: field.y, w: field.w, h: field.h }, moved: false,
    };
  };

  const moveDrag = (event) => {
    const drag = dragRef.current;
    if (!drag || event.pointerId !== drag.pointer) return;
    const px = event.clientX - drag.x0;
    const py = event.clientY - drag.y0;
    if (!drag.moved && Math.hypot(px, py) < DRAG_SLOP) return;
    if (!drag.moved) {
      drag.moved = true;
      setDragging(drag.id);
    }
    const dx = px / drag.rect.width;
    const dy = py / drag.rect.height;
    const o = drag.orig;
    if (drag.mode === "move") {
      update(drag.id, fit({ ...o, x: o.x + dx, y: o.y + dy }));
    } else {
      // the bottom-right corner follows the pointer; the top-left corner stays put
      update(drag.id, { w: clamp(o.w + dx, MIN, 1 - o.x), h: clamp(o.h + dy, MIN, 1 - o.y) });
    }
  };

  const endDrag = (event) => {
    const drag = dragRef.current;
    if (!drag || event.pointerId !== drag.pointer) return;
    dragRef.current = null;
    setDragging("");
    if (drag.moved) {
      select(drag.id, false); // the box just dragged becomes the selected one
      commit(localRef.current);
    } else if (event.type !== "pointercancel") {
      select(drag.id, true); // a click
    }
  };

  const onKeyDown = (event, rendered) => {
    if (readOnly || dragRef.current) return;
    // the latest position, not the one of the last render: key repeat can outrun rendering
    const field = localRef.current.find((f) => f.id === rendered.id) || rendered;
    const key = event.key;
    if (key === "Enter" || key === " ") {
      event.preventDefault();
      select(field.id, true);
      return;
    }
    if (key === "Delete" || key === "Backspace") {
      event.preventDefault();
      if (onDelete) onDelete(field.id);
      return;
    }
    const dirs = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
    if (!dirs[key]) return;
    event.preventDefault(); // the page must not scroll
    const step = event.shiftKey ? 0.05 : 0.01;
    const [sx, sy] = dirs[key];
    let box;
    if (event.altKey) {
      box = { w: clamp(field.w + sx * step, MIN, 1 - field.x), h: clamp(field.h + sy * step, MIN, 1 - field.y) };
      setAnnounce(`Size ${Math.round((box.w) * 100)}% by ${Math.round(box.h * 100)}% of the page`);
    } else {
      box = fit({ ...field, x: field.x + sx * step, y: field.y + sy * step });
      setAnnounce(`${Math.round(box.x * 100)}% from left, ${Math.round(box.y * 100)}% from top`);
    }
    commit(update(field.id, box));
  };

  const onPageClickAt = (event, index) => {
    if (readOnly || !onPageClick) return;
    if (event.target.closest && event.target.closest("[data-field-id]")) return; // a box, not the page
    const rect = event.currentTarget.getBoundingClientRect();
    onPageClick({
      page: index,
      x: round4(clamp((event.clientX - rect.left) / rect.width, 0, 1)),
      y: round4(clamp((event.clientY - rect.top) / rect.height, 0, 1)),
    });
  };

  const renderBox = (field, page) => {
    const signer = signerOf(field.signer);
    const isSelected = !readOnly && field.id === selected;
    const value = values && values[field.id] != null ? String(values[field.id]) : "";
    const filled = readOnly && value !== "";
    const text = `${KINDS[field.kind] || "Field"} · ${signer.name}`;
    // Text scales with the page (cqw: the page is a size container), as it will on the
    // printed PDF, within limits that keep it legible on a phone and tidy on a wide screen.
    const boxHeight = field.h * ((page.height || 792) / (page.width || 612)) * 100; // in cqw
    const fontSize = filled
      ? `clamp(7px, ${(boxHeight * 0.6).toFixed(3)}cqw, 16px)`
      : `clamp(9px, ${(boxHeight * 0.5).toFixed(3)}cqw, 12px)`;
    const boxStyle = {
      position: "absolute",
      left: pct(field.x), top: pct(field.y), width: pct(field.w), height: pct(field.h),
      boxSizing: "border-box",
      display: "flex", alignItems: "center", justifyContent: filled ? "flex-start" : "center",
      padding: "0 4px", overflow: "visible",
      border: filled ? `1px dashed ${signer.color}` : `2px solid ${signer.color}`,
      borderRadius: "4px",
      // a light tint of the signer's colour, mostly opaque so the label stays readable over the page
      background: filled ? "transparent" : `color-mix(in srgb, ${signer.color} 22%, rgba(255, 255, 255, 0.8))`,
      color: "#111827", fontSize, lineHeight: 1.25, fontWeight: 500,
      outline: isSelected ? "3px solid #1d4ed8" : "none", outlineOffset: "2px",
      zIndex: isSelected || dragging === field.id ? 2 : 1,
      cursor: readOnly ? "default" : dragging === field.id ? "grabbing" : "grab",
      touchAction: readOnly ? "auto" : "none", // a finger dragging a box must not scroll the page
      userSelect: "none", WebkitUserSelect: "none",
      pointerEvents: readOnly ? "none" : "auto", // read-only: the app may place inputs on top
    };
    const content = filled
      ? <FieldValue field={field} value={value} signer={signer} />
      : field.kind === "checkbox"
        // a checkbox box is too small for words: a glyph, the words are in its name and title
        ? <span aria-hidden="true" style={{ fontSize: "1.2em" }}>☐</span>
        : <span style={{ overflow: "hidden", textOverflow: "ellipsis", whiteSpace: "nowrap", minWidth: 0 }}>{text}</span>;
    if (readOnly) {
      return (
        <div key={field.id} data-field-id={field.id} title={field.label || text} style={boxStyle}>
          {content}
        </div>
      );
    }
    return (
      <div
        key={field.id}
        data-field-id={field.id}
        className="portal-fe-box"
        role="button"
        tabIndex={0}
        aria-pressed={isSelected ? "true" : "false"}
        aria-label={describe(field, signer, pageCount)}
        aria-describedby={hintId}
        title={field.label || text}
        style={boxStyle}
        onPointerDown={(e) => startDrag(e, field, "move")}
        onPointerMove={moveDrag}
        onPointerUp={endDrag}
        onPointerCancel={endDrag}
        onLostPointerCapture={endDrag}
        onKeyDown={(e) => onKeyDown(e, field)}
      >
        {content}
        <span
          data-handle="resize"
          aria-hidden="true"
          onPointerDown={(e) => startDrag(e, field, "resize")}
          style={{
            // a 24 px target for fingers around a 10 px visible square
            position: "absolute", right: "-12px", bottom: "-12px", width: "24px", height: "24px",
            display: "flex", alignItems: "center", justifyContent: "center", cursor: "nwse-resize",
            touchAction: "none",
          }}
        >
          <span style={{
            width: "10px", height: "10px", boxSizing: "border-box", background: "#fff",
            border: `2px solid ${signer.color}`, borderRadius: "2px",
          }} />
        </span>
      </div>
    );
  };

  return (
    <div
      style={{ display: "flex", flexDirection: "column", gap: "16px", width: "100%", ...(style || {}) }}
      {...rest}
    >
      <style>{CSS}</style>
      {!readOnly ? (
        <p id={hintId} className="portal-fe-sr">
          Drag a field to move it and its corner to resize it. With the keyboard: arrow keys move the
          field (with Shift, faster), Alt with arrow keys resizes it, Delete removes it.
        </p>
      ) : null}
      {pages.map((page, index) => (
        <div
          key={`${index}:${page.url}`}
          data-page={index}
          onClick={(e) => onPageClickAt(e, index)}
          style={{
            position: "relative", width: "100%", containerType: "inline-size",
            aspectRatio: `${page.width || 612} / ${page.height || 792}`,
            // the frame is a shadow, not a border: the page's box is exactly the image, so
            // pointer positions divide by the same width the fields' percentages refer to
            background: "#fff", boxShadow: "0 0 0 1px #d1d5db, 0 1px 4px rgba(0, 0, 0, 0.18)",
            cursor: readOnly || !onPageClick ? "default" : "copy",
          }}
        >
          <img
            src={page.url}
            alt={`Page ${index + 1} of ${pageCount}`}
            draggable={false}
            style={{ position: "absolute", inset: 0, width: "100%", height: "100%", display: "block", userSelect: "none" }}
          />
          {local.filter((f) => f.page === index).map((f) => renderBox(f, page))}
        </div>
      ))}
      <div className="portal-fe-sr" aria-live="polite">{announce}</div>
    </div>
  );
}
