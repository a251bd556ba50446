// The Pay Now card form: Stripe.js's Card Element inside a <form>, so card numbers go from
// the browser to Stripe and never to our server. On submit the card becomes a token and
// only its id reaches the app (onToken). A card that needs 3-D Secure comes back with a
// client secret (actionSecret), handed to confirmCardPayment; its outcome is reported by
// onActionDone ("" when it went through, else Stripe's message). Anything that goes wrong
// in the browser is reported by onFailure with a sentence for a person.
import { Children, useEffect, useRef, useState } from "react";

let loading = null;

function loadStripe(src) {
  if (typeof window.Stripe === "function") return Promise.resolve(window.Stripe);
  if (!loading) {
    loading = new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = src;
      script.async = true;
      script.onload = () =>
        typeof window.Stripe === "function"
          ? resolve(window.Stripe)
          : reject(new Error("Card payments could not start. Please reload the page."));
      script.onerror = () => {
        loading = null;
        script.remove();
        reject(new Error("The card form could not be loaded. Check your connection and reload the page."));
      };
      document.head.appendChild(script);
    });
  }
  return loading;
}

// Stand-in card forms (test servers) may draw bare inputs: give them names a screen reader reads.
const LABELS = {
  number: "Card number",
  exp_month: "Expiry month (MM)",
  exp_year: "Expiry year (YY)",
  cvc: "Security code (CVC)",
  postal_code: "Postal code",
};

function nameInputs(root) {
  root.querySelectorAll("input").forEach((input) => {
    if (!input.getAttribute("aria-label")) {
      input.setAttribute("aria-label", LABELS[input.placeholder] || input.placeholder || "Card detail");
    }
    input.setAttribute("autocomplete", input.placeholder === "number" ? "cc-number" : "off");
  });
}

export function StripeCardForm({
  publishableKey,
  scriptUrl,
  actionSecret,
  onToken,
  onFailure,
  onActionDone,
  children,
  ...rest
}) {
  const mountRef = useRef(null);
  const stripeRef = useRef(null);
  const cardRef = useRef(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    let cancelled = false;
    if (!publishableKey || !scriptUrl) return undefined;
    loadStripe(scriptUrl)
      .then((StripeJs) => {
        if (cancelled || !mountRef.current) return;
        const stripe = StripeJs(publishableKey);
        const card = stripe.elements().create("card", { hidePostalCode: true });
        card.mount(mountRef.current);
        nameInputs(mountRef.current);
        stripeRef.current = stripe;
        cardRef.current = card;
      })
      .catch((err) => {
        if (!cancelled && onFailure) onFailure(String((err && err.message) || err));
      });
    return () => {
      cancelled = true;
      if (cardRef.current) {
        try {
          cardRef.current.destroy();
        } catch (e) {
          // already gone
        }
      }
      cardRef.current = null;
      stripeRef.current = null;
    };
  }, [publishableKey, scriptUrl]);

  useEffect(() => {
    if (!actionSecret || !stripeRef.current) return;
    stripeRef.current
      .confirmCardPayment(actionSecret)
      .then((result) => {
        const error = result && result.error;
        if (onActionDone) onActionDone(error ? error.message || "Your bank did not confirm the payment." : "");
      })
      .catch(() => onActionDone && onActionDone("Your bank did not confirm the payment."));
  }, [actionSecret]);

  const submit = async (event) => {
    event.preventDefault();
    if (busy) return;
    if (!stripeRef.current || !cardRef.current) {
      if (onFailure) onFailure("The card form is still loading. Try again in a moment.");
      return;
    }
    setBusy(true);
    try {
      const result = await stripeRef.current.createToken(cardRef.current);
      if (result && result.token && result.token.id) {
        if (onToken) onToken(result.token.id);
      } else if (onFailure) {
        onFailure((result && result.error && result.error.message) || "Check your card details and try again.");
      }
    } catch (err) {
      if (onFailure) onFailure("Enter your card number, expiry date and security code.");
    } finally {
      setBusy(false);
    }
  };

  // the first child (the amount) comes before the card fields, the others after them
  const [first, ...others] = Children.toArray(children);
  return (
    <form onSubmit={submit} noValidate aria-busy={busy ? "true" : "false"} {...rest}>
      {first}
      <div id="card-label" style={{ fontWeight: 500, fontSize: "14px", margin: "12px 0 4px" }}>
        Card details
      </div>
      <div
        role="group"
        aria-labelledby="card-label"
        ref={mountRef}
        className="portal-card-element"
        style={{
          border: "1px solid var(--gray-a7)",
          borderRadius: "var(--radius-2)",
          padding: "10px 12px",
          minHeight: "44px",
          display: "flex",
          flexWrap: "wrap",
          gap: "6px",
          alignItems: "center",
          background: "var(--color-surface)",
        }}
      />
      {others}
    </form>
  );
}
