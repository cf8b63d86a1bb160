/**
 * A Stripe API object as JSON (what the API returns and what we store).
 * Stripe objects are open-ended JSON, so `any` is the honest type here.
 */

export type Obj = Record<string, any>

/** Validated request parameters (shape decided by each endpoint's spec). */

export type Params = Record<string, any>

/** The API version stripe-node v23 pins; events are rendered "in" it. */
export const API_VERSION = '2026-10-28.endive'
