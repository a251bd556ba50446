// The signature pad: a canvas a person signs on with a mouse, a finger or a pen (Pointer
// Events cover all three). Strokes are kept as points in fractions of the pad (0..1), not
// as pixels, so a resize or a phone rotation redraws them at the new size instead of
// losing or stretching them. After each stroke (and after Undo/Clear) onChange receives a
// PNG data URL of the ink, cropped to its bounding box plus a margin, on a transparent
// background, at most 1200×400 pixels; "" while the pad holds no real signature.
// Plain React and DOM only: the portal's CSP forbids eval and inline scripts.
import { useEffect, useId, useLayoutEffect, useRef, useState } from "react";

const ASPECT = 3; // width : height
// The exported image maps the whole pad onto 1200×400, so a crop of it never exceeds that.
const OUT_W = 1200;
const OUT_H = OUT_W / ASPECT;
const LINE = 0.005; // stroke width as a fraction of the pad's width (3 px on a 600 px pad)
const MIN_POINTS = 3; // a stray tap is no signature…
const MIN_EXTENT = 0.02; // …nor is a speck smaller than 2% of the pad's width in both directions

// Quadratic curves through the midpoints of successive points: a smooth line that still
// passes close to every sample, without the corners of straight segments.
function traceStroke(ctx, pts, sx, sy) {
  if (pts.length === 1) {
    ctx.beginPath();
    ctx.arc(pts[0][0] * sx, pts[0][1] * sy, ctx.lineWidth / 2, 0, Math.PI * 2);
    ctx.fill();
    return;
  }
  ctx.beginPath();
  ctx.moveTo(pts[0][0] * sx, pts[0][1] * sy);
  for (let i = 1; i < pts.length - 1; i += 1) {
    const mx = ((pts[i][0] + pts[i + 1][0]) / 2) * sx;
    const my = ((pts[i][1] + pts[i + 1][1]) / 2) * sy;
    ctx.quadraticCurveTo(pts[i][0] * sx, pts[i][1] * sy, mx, my);
  }
  const last = pts[pts.length - 1];
  ctx.lineTo(last[0] * sx, last[1] * sy);
  ctx.stroke();
}

function paint(ctx, strokes, width, height, lineWidth, color) {
  ctx.lineCap = "round";
  ctx.lineJoin = "round";
  ctx.lineWidth = lineWidth;
  ctx.strokeStyle = color;
  ctx.fillStyle = color;
  for (const pts of strokes) traceStroke(ctx, pts, width, height);
}

// Bounding box of all points in pad fractions, or null when there are none.
function inkBox(strokes) {
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity, n = 0;
  for (const pts of strokes) {
    for (const [x, y] of pts) {
      n += 1;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
    }
  }
  return n ? { x0, y0, x1, y1, n } : null;
}

function isBlank(strokes) {
  const box = inkBox(strokes);
  if (!box || box.n < MIN_POINTS) return true;
  // compare in the same unit (the pad's width) in both directions
  const w = box.x1 - box.x0;
  const h = (box.y1 - box.y0) / ASPECT;
  return w < MIN_EXTENT && h < MIN_EXTENT;
}

// The PNG handed to the app: drawn afresh from the points at 1200×400 scale (independent
// of the screen it was drawn on), then cropped to the ink plus a margin.
function exportPng(strokes, color) {
  if (isBlank(strokes)) return "";
  const box = inkBox(strokes);
  const lw = OUT_W * LINE;
  const margin = lw + 8;
  const left = Math.max(0, Math.floor(box.x0 * OUT_W - margin));
  const top = Math.max(0, Math.floor(box.y0 * OUT_H - margin));
  const right = Math.min(OUT_W, Math.ceil(box.x1 * OUT_W + margin));
  const bottom = Math.min(OUT_H, Math.ceil(box.y1 * OUT_H + margin));
  const canvas = document.createElement("canvas");
  canvas.width = Math.max(1, right - left);
  canvas.height = Math.max(1, bottom - top);
  const ctx = canvas.getContext("2d");
  ctx.translate(-left, -top);
  paint(ctx, strokes, OUT_W, OUT_H, lw, color);
  return canvas.toDataURL("image/png");
}

// Focus rings cannot be inline styles (:focus-visible); the CSP allows inline <style>.
const CSS = `
.portal-sigpad-btn{font:inherit;font-size:14px;line-height:20px;padding:6px 14px;min-height:36px;
border-radius:6px;border:1px solid #6b7280;background:#fff;color:#111827;cursor:pointer}
.portal-sigpad-btn:hover:not(:disabled){background:#f3f4f6}
.portal-sigpad-btn:focus-visible{outline:3px solid #2563eb;outline-offset:2px}
.portal-sigpad-btn:disabled{cursor:not-allowed;color:#4b5563;background:#f3f4f6;border-color:#d1d5db}
`;

export function SignaturePad({
  ariaLabel = "Signature drawing area",
  hint = "Draw your signature with a mouse, finger or pen.",
  penColor = "#111827",
  disabled = false,
  onChange,
  style,
  ...rest
}) {
  const boxRef = useRef(null);
  const canvasRef = useRef(null);
  const strokesRef = useRef([]); // finished strokes: arrays of [x, y] fractions
  const liveRef = useRef(null); // the stroke being drawn: {id, pts, rect}
  const frameRef = useRef(0);
  const sizeRef = useRef({ w: 0, h: 0 });
  const [count, setCount] = useState(0); // number of strokes, for the buttons' state
  const hintId = useId();
  // read by redraw(), which may run from a listener set up at mount: never a stale colour
  const colorRef = useRef(penColor);
  colorRef.current = penColor;

  const redraw = () => {
    frameRef.current = 0;
    const canvas = canvasRef.current;
    const { w, h } = sizeRef.current;
    if (!canvas || !w) return;
    const ctx = canvas.getContext("2d");
    const dpr = canvas.width / w;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0); // draw in CSS pixels on a device-pixel backing
    const all = liveRef.current ? [...strokesRef.current, liveRef.current.pts] : strokesRef.current;
    paint(ctx, all, w, h, Math.max(1.5, w * LINE), colorRef.current);
  };
  // Pointer moves can come faster than frames: draw at most once per frame.
  const schedule = () => {
    if (!frameRef.current) frameRef.current = requestAnimationFrame(redraw);
  };

  // Fill the container's width at a fixed aspect ratio; a backing store of CSS size ×
  // devicePixelRatio keeps the ink crisp. Re-measure on resize, rotation and zoom.
  useLayoutEffect(() => {
    const box = boxRef.current;
    const canvas = canvasRef.current;
    if (!box || !canvas) return undefined;
    const measure = () => {
      const w = box.clientWidth;
      const h = w / ASPECT;
      const dpr = window.devicePixelRatio || 1;
      canvas.style.height = `${h}px`;
      const bw = Math.round(w * dpr);
      const bh = Math.round(h * dpr);
      if (canvas.width !== bw || canvas.height !== bh || sizeRef.current.w !== w) {
        canvas.width = bw; // resets the bitmap: redraw from the kept points
        canvas.height = bh;
        sizeRef.current = { w, h };
        redraw();
      }
    };
    measure();
    const observer = typeof ResizeObserver === "function" ? new ResizeObserver(measure) : null;
    if (observer) observer.observe(box);
    window.addEventListener("resize", measure); // zoom changes devicePixelRatio, not always the size
    return () => {
      if (observer) observer.disconnect();
      window.removeEventListener("resize", measure);
      if (frameRef.current) cancelAnimationFrame(frameRef.current);
      frameRef.current = 0;
    };
  }, []);

  useEffect(() => {
    schedule();
  }, [penColor]);

  const emit = () => {
    if (onChange) onChange(exportPng(strokesRef.current, penColor));
  };

  const pointAt = (event, rect) => [
    Math.min(1, Math.max(0, (event.clientX - rect.left) / rect.width)),
    Math.min(1, Math.max(0, (event.clientY - rect.top) / rect.height)),
  ];

  const onPointerDown = (event) => {
    if (disabled || liveRef.current) return; // one pen at a time: a second finger is ignored
    if (event.pointerType === "mouse" && event.button !== 0) return;
    event.preventDefault();
    const canvas = canvasRef.current;
    // capture: the stroke goes on (and ends) even if the pointer leaves the pad
    try {
      canvas.setPointerCapture(event.pointerId);
    } catch (e) {
      // synthetic events without an active pointer cannot be captured; drawing still works
    }
    const rect = canvas.getBoundingClientRect();
    liveRef.current = { id: event.pointerId, rect, pts: [pointAt(event, rect)] };
    schedule();
  };

  const onPointerMove = (event) => {
    const live = liveRef.current;
    if (!live || event.pointerId !== live.id) return;
    // coalesced events: the samples the browser merged into this one, for smoother curves
    const samples = typeof event.nativeEvent.getCoalescedEvents === "function"
      ? event.nativeEvent.getCoalescedEvents()
      : [];
    for (const e of samples.length ? samples : [event]) live.pts.push(pointAt(e, live.rect));
    schedule();
  };

  const endStroke = (event) => {
    const live = liveRef.current;
    if (!live || event.pointerId !== live.id) return;
    liveRef.current = null;
    strokesRef.current = [...strokesRef.current, live.pts];
    setCount(strokesRef.current.length);
    schedule();
    emit();
  };

  const undo = () => {
    strokesRef.current = strokesRef.current.slice(0, -1);
    setCount(strokesRef.current.length);
    schedule();
    emit();
  };

  const clear = () => {
    strokesRef.current = [];
    setCount(0);
    schedule();
    emit();
  };

  return (
    <div
      ref={boxRef}
      style={{ width: "100%", ...(style || {}) }}
      {...rest}
    >
      <style>{CSS}</style>
      <canvas
        ref={canvasRef}
        role="img"
        aria-label={ariaLabel}
        aria-describedby={hint ? hintId : undefined}
        onPointerDown={onPointerDown}
        onPointerMove={onPointerMove}
        onPointerUp={endStroke}
        onPointerCancel={endStroke}
        onLostPointerCapture={endStroke}
        style={{
          display: "block",
          width: "100%",
          touchAction: "none", // no scrolling or zooming while a finger draws
          userSelect: "none",
          WebkitUserSelect: "none",
          cursor: disabled ? "not-allowed" : "crosshair",
          backgroundColor: disabled ? "#f3f4f6" : "#fff",
          border: "1px solid #6b7280", // 3:1 against white at least, as a control's edge must be
          borderRadius: "8px",
          boxSizing: "border-box",
          // a baseline to sign on, drawn with CSS so it never ends up in the exported image
          backgroundImage: "linear-gradient(#d1d5db, #d1d5db)",
          backgroundSize: "88% 1px",
          backgroundPosition: "50% 72%",
          backgroundRepeat: "no-repeat",
        }}
      />
      <div
        style={{
          display: "flex",
          flexWrap: "wrap",
          alignItems: "center",
          justifyContent: "space-between",
          gap: "8px",
          marginTop: "8px",
        }}
      >
        {hint ? (
          <p id={hintId} style={{ margin: 0, fontSize: "14px", color: "#374151", flex: "1 1 200px" }}>
            {hint}
          </p>
        ) : null}
        <div style={{ display: "flex", gap: "8px", marginLeft: "auto" }}>
          <button type="button" className="portal-sigpad-btn" onClick={undo} disabled={disabled || count === 0}>
            Undo
          </button>
          <button type="button" className="portal-sigpad-btn" onClick={clear} disabled={disabled || count === 0}>
            Clear
          </button>
        </div>
      </div>
    </div>
  );
}
