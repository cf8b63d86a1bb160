import { paramError } from './errors.js'
import { type Store } from './store.js'
import { type Obj } from './types.js'

/** Fields that hold an id Stripe can expand into the full object, per object type. */
const EXPANDABLE: Record<string, readonly string[]> = {
  payment_intent: [
    'customer',
    'payment_method',
    'latest_charge',
    'on_behalf_of',
    'application',
    'review',
    'source',
    'transfer_data.destination',
  ],
  charge: [
    'balance_transaction',
    'customer',
    'payment_intent',
    'transfer',
    'application_fee',
    'source_transfer',
    'on_behalf_of',
    'failure_balance_transaction',
    'review',
    'application',
    'refunds',
    'transfer_data.destination',
  ],
  refund: [
    'balance_transaction',
    'charge',
    'payment_intent',
    'transfer_reversal',
    'source_transfer_reversal',
    'failure_balance_transaction',
  ],
  transfer: [
    'balance_transaction',
    'destination',
    'destination_payment',
    'source_transaction',
    'reversals',
  ],
  transfer_reversal: [
    'balance_transaction',
    'destination_payment_refund',
    'source_refund',
    'transfer',
  ],
  application_fee: [
    'account',
    'balance_transaction',
    'charge',
    'originating_transaction',
    'application',
    'refunds',
  ],
  fee_refund: ['balance_transaction', 'fee'],
  dispute: ['charge', 'payment_intent'],
  balance_transaction: ['source'],
  payout: [
    'balance_transaction',
    'destination',
    'failure_balance_transaction',
    'original_payout',
    'reversed_by',
  ],
  customer: ['default_source', 'invoice_settings.default_payment_method'],
  payment_method: ['customer'],
  setup_intent: [
    'customer',
    'payment_method',
    'latest_attempt',
    'mandate',
    'on_behalf_of',
    'single_use_mandate',
    'application',
  ],
  account: ['external_accounts'],
  bank_account: ['account', 'customer'],
  file: ['links'],
}

const MAX_DEPTH = 4

export type Resolver = (id: string) => Obj | undefined

function cannotExpand(path: string): never {
  throw paramError(`This property cannot be expanded (${path}).`, {
    code: 'parameter_invalid',
    param: 'expand',
  })
}

/**
 * Applies `expand[]` to a response. Objects along each expanded path are
 * copied (never mutated) so stored objects stay as they are.
 */
export function expand(root: Obj, paths: string[], resolve: Resolver): Obj {
  let out = root
  for (const path of paths) {
    const segments = path.split('.')
    if (segments.length > MAX_DEPTH) {
      throw paramError(
        `You cannot expand more than ${MAX_DEPTH} levels of a property. Property: ${path}`,
        { code: 'parameter_invalid', param: 'expand' }
      )
    }
    out = expandAt(out, segments, path, resolve)
  }
  return out
}

function expandAt(value: Obj, segments: string[], path: string, resolve: Resolver): Obj {
  if (segments.length === 0) {
    return value
  }
  if (value.object === 'list' && Array.isArray(value.data)) {
    if (segments[0] !== 'data') {
      throw paramError(
        `This property cannot be expanded (${path}). You may want to try expanding ` +
          `'data.${path}' instead.`,
        { code: 'parameter_invalid', param: 'expand' }
      )
    }
    return {
      ...value,
      data: value.data.map((item: Obj) => expandAt(item, segments.slice(1), path, resolve)),
    }
  }
  const allowed = EXPANDABLE[value.object] ?? []
  // Some expandable fields sit inside a hash (`transfer_data.destination`).
  if (segments.length >= 2 && allowed.includes(`${segments[0]}.${segments[1]}`)) {
    const inner = value[segments[0]]
    if (inner === null || inner === undefined) {
      return value
    }
    const expandedInner = expandField(inner, segments[1], segments.slice(2), path, resolve)
    return { ...value, [segments[0]]: expandedInner }
  }
  if (!allowed.includes(segments[0])) {
    cannotExpand(path)
  }
  return expandField(value, segments[0], segments.slice(1), path, resolve)
}

function expandField(holder: Obj, field: string, rest: string[], path: string, resolve: Resolver) {
  let current = holder[field]
  if (typeof current === 'string') {
    current = resolve(current) ?? current
  }
  if (current !== null && typeof current === 'object' && rest.length > 0) {
    current = expandAt(current, rest, path, resolve)
  }
  return { ...holder, [field]: current }
}

/** A resolver limited to objects of one platform (and its connected accounts). */
export function platformResolver(
  store: Store,
  platform: string,
  render: (id: string) => Obj | undefined
): Resolver {
  return (id: string) => {
    const rec = store.get(id)
    if (!rec || rec.plat !== platform) {
      return undefined
    }
    return render(id)
  }
}
