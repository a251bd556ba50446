// The chat widget's two bits of keyboard handling (no eval: our CSP forbids it).
// ChatComposer: a <textarea> where Enter sends (submits its form) and Shift+Enter starts a new
// line; an IME composition's Enter is left alone. onDraft(text) when it loses focus.
// ChatEscape: Escape anywhere inside it calls onEscape (the panel closes); it draws no box.
// TypingWatch (below): the typing hint, throttled.
import { forwardRef, useRef } from "react";

export const ChatComposer = forwardRef(function ChatComposer({ onDraft, ...rest }, ref) {
  const keyDown = (e) => {
    if (e.key !== "Enter" || e.shiftKey || e.altKey || e.ctrlKey || e.metaKey) return;
    if (e.nativeEvent && e.nativeEvent.isComposing) return;
    e.preventDefault();
    const form = e.currentTarget.form;
    if (form && e.currentTarget.value.trim() !== "") form.requestSubmit();
  };
  const blur = (e) => { if (onDraft) onDraft(e.currentTarget.value); };
  return <textarea ref={ref} onKeyDown={keyDown} onBlur={blur} {...rest} />;
});

export function ChatEscape({ onEscape, children }) {
  const keyDown = (e) => {
    if (e.key === "Escape" && onEscape) {
      e.preventDefault();
      e.stopPropagation();
      onEscape();
    }
  };
  return <div style={{ display: "contents" }} onKeyDown={keyDown}>{children}</div>;
}

// TypingWatch: calls onTyping when the user types inside it, at most once per `every` ms
// (3000 by default): the other side sees "… is typing". It draws no box.
export function TypingWatch({ onTyping, every, children }) {
  const last = useRef(0);
  const input = () => {
    const now = Date.now();
    if (!onTyping || now - last.current < (every || 3000)) return;
    last.current = now;
    onTyping();
  };
  return <div style={{ display: "contents" }} onInput={input}>{children}</div>;
}
