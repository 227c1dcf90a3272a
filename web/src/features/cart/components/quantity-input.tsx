import { useEffect, useState } from "preact/hooks";
import { MAX_QUANTITY } from "../api/set-cart-item";

type Props = { id: string; label: string; value: number; disabled?: boolean; onChange: (quantity: number) => void };

/** A stepper with a typed field in between; typed values are committed on blur or Enter. */
export function QuantityInput({ id, label, value, disabled, onChange }: Props) {
  const [text, setText] = useState(String(value));
  useEffect(() => setText(String(value)), [value]);

  const commit = () => {
    const next = Number.parseInt(text, 10);
    if (!Number.isFinite(next) || next < 1) return setText(String(value));
    const clamped = Math.min(next, MAX_QUANTITY);
    if (clamped !== value) onChange(clamped);
    else setText(String(value));
  };

  return (
    <div class="quantity" role="group" aria-labelledby={`${id}-label`}>
      <span id={`${id}-label`} class="visually-hidden">
        {label}
      </span>
      <button
        type="button"
        class="quantity-step"
        aria-label={`Decrease ${label}`}
        disabled={disabled || value <= 1}
        onClick={() => onChange(value - 1)}
      >
        −
      </button>
      <input
        id={id}
        type="number"
        inputMode="numeric"
        min={1}
        max={MAX_QUANTITY}
        aria-label={label}
        value={text}
        disabled={disabled}
        onInput={(e) => setText(e.currentTarget.value)}
        onBlur={commit}
        onKeyDown={(e) => e.key === "Enter" && commit()}
      />
      <button
        type="button"
        class="quantity-step"
        aria-label={`Increase ${label}`}
        disabled={disabled || value >= MAX_QUANTITY}
        onClick={() => onChange(value + 1)}
      >
        +
      </button>
    </div>
  );
}
