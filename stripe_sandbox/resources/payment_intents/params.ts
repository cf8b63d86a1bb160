import { paramError } from '../../core/errors.js'
import { arr, bool, dict, hash, int, meta, str, type Spec } from '../../core/params.js'
import { type Obj, type Params } from '../../core/types.js'
import { assertChargeAmount } from '../../money.js'
import { mandateDataSpec, paymentMethodDataSpec } from '../us_bank_accounts.js'

/*
 * What PaymentIntent endpoints accept, and the checks shared by create,
 * update and confirm.
 */

export const CONFIRMABLE = ['requires_payment_method', 'requires_confirmation', 'requires_action']

const RETURN_URL_MESSAGE =
  'This PaymentIntent is configured to accept payment methods enabled in your Dashboard. ' +
  'Because some of these payment methods might redirect your customer off of your page, you ' +
  "must provide a `return_url`. If you don't want to accept redirect-based payment methods, " +
  'set `automatic_payment_methods[enabled]` to `true` and ' +
  '`automatic_payment_methods[allow_redirects]` to `never` when creating Setup Intents and ' +
  'Payment Intents.'

/**
 * API 2026-10-28 (stripe-node v23) names the parameter
 * `allowed_payment_method_types`; older integrations send
 * `payment_method_types`. Both are accepted and mean the same.
 */
export function normalizeTypes(params: Params): void {
  const allowed = params.allowed_payment_method_types
  if (allowed === undefined) {
    return
  }
  const legacy = params.payment_method_types
  if (legacy !== undefined && JSON.stringify(legacy) !== JSON.stringify(allowed)) {
    throw paramError(
      'You may only specify one of these parameters: allowed_payment_method_types, ' +
        'payment_method_types.',
      { code: 'parameters_exclusive', param: 'allowed_payment_method_types' }
    )
  }
  params.payment_method_types = allowed
  delete params.allowed_payment_method_types
}

/** The §3.2 gotcha: redirect-capable automatic payment methods need a return_url to confirm. */
export function assertReturnUrl(automatic: Obj | null, returnUrl: string | null | undefined) {
  if (automatic?.enabled && automatic.allow_redirects !== 'never' && !returnUrl) {
    throw paramError(RETURN_URL_MESSAGE, { param: 'return_url' })
  }
}

/** A return_url must be an absolute URL the browser can be sent back to. */
export function assertValidReturnUrl(returnUrl: string | null | undefined): void {
  if (!returnUrl) {
    return
  }
  let url: URL | null = null
  try {
    url = new URL(returnUrl)
  } catch {
    url = null
  }
  if (!url || url.protocol === 'javascript:' || url.protocol === 'data:') {
    throw paramError('Not a valid URL', { code: 'url_invalid', param: 'return_url' })
  }
}

const usBankAccountOptionsSpec = hash({
  financial_connections: dict(),
  mandate_options: dict(),
  setup_future_usage: str(['none', 'off_session', 'on_session']),
  target_date: str(),
  verification_method: str(['automatic', 'instant', 'microdeposits']),
})

// No `capture_method` under us_bank_account: ACH cannot be held (§11), so Stripe's
// parameter_unknown answers it.
const pmoSpec = hash({
  card: hash({
    capture_method: str(['manual']),
    request_three_d_secure: str(['any', 'automatic', 'challenge']),
    setup_future_usage: str(['none', 'off_session', 'on_session']),
  }),
  us_bank_account: usBankAccountOptionsSpec,
})

export const confirmParams: Record<string, Spec> = {
  allowed_payment_method_types: arr(str()),
  capture_method: str(['automatic', 'automatic_async', 'manual']),
  error_on_requires_action: bool(),
  mandate: str(),
  mandate_data: mandateDataSpec,
  off_session: str(['true', 'false', 'one_off', 'recurring']),
  payment_method: str(),
  payment_method_data: paymentMethodDataSpec,
  payment_method_options: pmoSpec,
  payment_method_types: arr(str()),
  receipt_email: str(),
  return_url: str(),
  setup_future_usage: str(['off_session', 'on_session']),
  shipping: dict(),
  use_stripe_sdk: bool(),
}

export const createParams: Record<string, Spec> = {
  ...confirmParams,
  amount: int(1),
  currency: str(),
  application_fee_amount: int(0),
  automatic_payment_methods: hash({ enabled: bool(), allow_redirects: str(['always', 'never']) }),
  confirm: bool(),
  confirmation_method: str(['automatic', 'manual']),
  customer: str(),
  description: str(),
  excluded_payment_method_types: arr(str()),
  metadata: meta(),
  on_behalf_of: str(),
  payment_method_configuration: str(),
  statement_descriptor: str(undefined, 22),
  statement_descriptor_suffix: str(undefined, 22),
  transfer_data: hash({ destination: str(), amount: int(1) }, ['destination']),
  transfer_group: str(),
}

export const updateParams: Record<string, Spec> = {
  allowed_payment_method_types: arr(str()),
  amount: int(1),
  application_fee_amount: int(0),
  capture_method: str(['automatic', 'automatic_async', 'manual']),
  currency: str(),
  customer: str(),
  description: str(),
  excluded_payment_method_types: arr(str()),
  metadata: meta(),
  payment_method: str(),
  payment_method_options: pmoSpec,
  payment_method_types: arr(str()),
  receipt_email: str(),
  setup_future_usage: str(['off_session', 'on_session']),
  shipping: dict(),
  statement_descriptor: str(undefined, 22),
  statement_descriptor_suffix: str(undefined, 22),
  transfer_data: hash({ amount: int(1) }),
  transfer_group: str(),
}

/** Fields that may change whatever the status (everything else only before confirmation). */
export const ALWAYS_UPDATABLE = new Set([
  'description',
  'metadata',
  'receipt_email',
  'shipping',
  'statement_descriptor',
  'statement_descriptor_suffix',
  'transfer_group',
])

/** `payment_method_options` as Stripe renders it: card always, us_bank_account when allowed. */
export function paymentMethodOptions(params: Params, types: string[] | null): Obj {
  const requested = params.payment_method_options ?? {}
  const card: Obj = {
    installments: null,
    mandate_options: null,
    network: null,
    request_three_d_secure: requested.card?.request_three_d_secure ?? 'automatic',
  }
  if (requested.card?.capture_method) {
    card.capture_method = requested.card.capture_method
  }
  const options: Obj = { card }
  if (requested.us_bank_account || types?.includes('us_bank_account')) {
    options.us_bank_account = {
      mandate_options: {},
      verification_method: requested.us_bank_account?.verification_method ?? 'automatic',
    }
  }
  return options
}

export function isManual(pi: Obj): boolean {
  return (
    pi.capture_method === 'manual' || pi.payment_method_options?.card?.capture_method === 'manual'
  )
}

export function offSessionOf(value: string | null | undefined): boolean {
  return value !== undefined && value !== null && value !== 'false'
}

/** The destination-charge amounts must fit the payment; the payment its currency's limits. */
export function validateMoney(params: Params, amount: number, currency: string) {
  const fee = params.application_fee_amount
  const destination = params.transfer_data?.destination
  if (fee !== undefined && fee !== null) {
    // Stripe also allows it on direct charges (Stripe-Account); the sandbox models
    // destination charges only, so it says so instead of silently ignoring the fee.
    if (!destination) {
      throw paramError(
        'Can only apply an application_fee_amount when the PaymentIntent is attempting a ' +
          'destination payment (using `transfer_data[destination]`); the Stripe sandbox does not ' +
          'model direct charges with application fees.',
        { param: 'application_fee_amount' }
      )
    }
    if (fee > amount) {
      throw paramError(
        `The application_fee_amount (${fee}) must be less than or equal to the amount (${amount}).`,
        { param: 'application_fee_amount' }
      )
    }
  }
  if (params.transfer_data?.amount && params.transfer_data.amount > amount) {
    throw paramError(
      `The transfer_data[amount] (${params.transfer_data.amount}) must be less than or equal to ` +
        `the amount (${amount}).`,
      { param: 'transfer_data[amount]' }
    )
  }
  assertChargeAmount(amount, currency)
}
